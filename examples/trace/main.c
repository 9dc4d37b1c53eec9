/*
 * main.c: runs one thumbnail instance and writes its timeline twice, into
 * the directory given as argument (default: the current one):
 *
 *   trace.json    Chrome trace events: open in https://ui.perfetto.dev
 *                 or chrome://tracing
 *   timeline.mmd  a Mermaid gantt chart: paste into https://mermaid.live,
 *                 or into a ```mermaid block of a Markdown file
 *
 * Times in both are relative to the instance's start, and change from run
 * to run: this program prints only where it wrote them.
 */
#include "trace.job.h"

typedef int (*writer)(const aj_instance *inst, FILE *out);

/* Writes one picture of inst into dir/name; false (and a message) if not. */
static bool save(const aj_instance *inst, const char *dir, const char *name, writer fn)
{
    char path[4096];
    FILE *f;
    int rc;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((f = fopen(path, "w")) == NULL) {
        perror(path);
        return false;
    }
    rc = fn(inst, f);
    if (fclose(f) != 0 || rc != AJ_OK) {
        fprintf(stderr, "%s: %s\n", path, aj_strerror(rc != AJ_OK ? rc : AJ_EIO));
        return false;
    }
    printf("wrote %s\n", path);
    return true;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    aj_start_opts opts = { .instance_id = "cat.png" }; /* the title of the chart */
    thumbnail *job;
    bool ok;

    if (thumbnail_start(NULL, "cat.png", &opts, &job) != AJ_OK)
        return 1;
    ok = thumbnail_wait(job, -1) == AJ_OK;
    /* Both pictures may also be drawn while the instance runs: a step
     * still running is drawn up to now. */
    ok = ok && save(thumbnail_instance(job), dir, "trace.json", aj_instance_trace_json);
    ok = ok && save(thumbnail_instance(job), dir, "timeline.mmd", aj_instance_mermaid);
    thumbnail_free(job);
    return ok ? 0 : 1;
}
