/*
 * main.c: runs three thumbnail instances at once and writes their
 * timelines into the directory given as argument (default: the current
 * one):
 *
 *   trace.json    all three instances, collected by an aj_trace: open in
 *                 https://ui.perfetto.dev or chrome://tracing. A process
 *                 per instance, a row per thread that ran its steps, a
 *                 slice per attempt, retry waits on a row of their own,
 *                 arrows from each step to the steps after it
 *   timeline.mmd  one instance as a Mermaid gantt chart: paste into
 *                 https://mermaid.live, or into a ```mermaid block of a
 *                 Markdown file
 *
 * Times change from run to run: this program prints only where it wrote
 * them.
 */
#include "trace.job.h"

enum { N_IMAGES = 3 };

static const char *const images[N_IMAGES] = { "cat.png", "dog.png", "owl.png" };

static int write_trace(void *trace, FILE *out)
{
    return aj_trace_write(trace, out);
}

static int write_mermaid(void *job, FILE *out)
{
    return aj_instance_mermaid(thumbnail_instance(job), out);
}

/* Writes one picture into dir/name; false (and a message) if not. */
static bool save(const char *dir, const char *name, int (*fn)(void *, FILE *), void *what)
{
    char path[4096];
    FILE *f;
    int rc;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((f = fopen(path, "w")) == NULL) {
        perror(path);
        return false;
    }
    rc = fn(what, f);
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
    aj_trace *trace = aj_trace_new();
    thumbnail *jobs[N_IMAGES] = { NULL };
    bool ok = trace != NULL;

    /* The collector's observer sees every step of every instance it is
     * given; aj_runtime_opts.observer would give it a whole runtime. */
    for (int i = 0; ok && i < N_IMAGES; i++) {
        aj_start_opts opts = { .instance_id = images[i], .observer = aj_trace_observer(trace) };
        ok = thumbnail_start(NULL, images[i], &opts, &jobs[i]) == AJ_OK;
    }
    for (int i = 0; ok && i < N_IMAGES; i++)
        ok = thumbnail_wait(jobs[i], -1) == AJ_OK;
    /* Both may also be written while instances run: what has not ended is
     * drawn up to now. */
    ok = ok && save(dir, "trace.json", write_trace, trace);
    ok = ok && save(dir, "timeline.mmd", write_mermaid, jobs[1]);
    for (int i = 0; i < N_IMAGES; i++)
        thumbnail_free(jobs[i]);
    aj_trace_free(trace);
    return ok ? 0 : 1;
}
