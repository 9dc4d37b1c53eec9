/* text.h: the output type of the greeting job and its free function. */
#ifndef TEXT_H
#define TEXT_H

/* Frees a string made by a step, and says so. */
void text_free(char *text);

#endif
