/* write.h: putting ajc's two output files in place, both or neither. */
#ifndef AJC_WRITE_H
#define AJC_WRITE_H

#include <stddef.h>

/* One file to write: its final name and its whole text. */
typedef struct write_output {
    const char *path;  /* as the user named it: DIR/BASE.job.c */
    const char *data;
    size_t len;
} write_output;

/*
 * Writes first and last, both or neither: 0, or 2 after one line
 * "ajc: ..." on stderr saying which file and why.
 *
 * Refuses to replace a file that does not open with ajc's banner (a link
 * is judged by what it leads to). Each text goes to a fresh temporary in
 * the output's directory (O_CREAT|O_EXCL, never through a link), given
 * 0666 less the umask, then is renamed over the output: first, then last.
 * A link at an output's name is replaced, not written through. If last
 * cannot be put in place, first's older file comes back (or the new one
 * goes), and no temporary is left.
 */
int write_outputs(const write_output *first, const write_output *last);

#endif
