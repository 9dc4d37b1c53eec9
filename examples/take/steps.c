/* steps.c: the greeting job's steps and text_free, which take.job names
 * as the free function of Text. */
#include "take.job.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void text_free(char *text)
{
    printf("  text_free(\"%s\")\n", text);
    free(text);
}

int greeting_Greet(aj_ctx *ctx, const char *name, Text *out)
{
    size_t n = strlen("hello, !") + strlen(name) + 1;

    (void)ctx;
    if ((*out = malloc(n)) == NULL)
        return ENOMEM;
    snprintf(*out, n, "hello, %s!", name);
    return 0;
}

int greeting_Shout(aj_ctx *ctx, const char *name, Text hello, Text *out)
{
    size_t n = strlen(hello);

    (void)ctx;
    (void)name;
    /* hello is lent: it still belongs to the instance, so copy it. */
    if ((*out = malloc(n + 1)) == NULL)
        return ENOMEM;
    for (size_t i = 0; i <= n; i++)
        (*out)[i] = (char)toupper((unsigned char)hello[i]);
    return 0;
}
