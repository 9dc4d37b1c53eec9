/* json.c: see json.h. A recursive-descent recogniser, one function per
 * production of RFC 8259; each returns the position after what it
 * recognised, or NULL. */
#include "json.h"

#include <stddef.h>
#include <string.h>

enum { MAX_DEPTH = 256 };

static const char *value(const char *p, int depth);

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    for (; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)  /* also the end of the text */
            return NULL;
        if (*p != '\\')
            continue;
        p++;
        if (*p == 'u') {
            for (int i = 1; i <= 4; i++)
                if (!is_hex(p[i]))
                    return NULL;
            p += 4;
        } else if (*p == '\0' || strchr("\"\\/bfnrt", *p) == NULL) {
            return NULL;
        }
    }
    return p + 1;
}

static const char *digits(const char *p)
{
    if (!is_digit(*p))
        return NULL;
    while (is_digit(*p))
        p++;
    return p;
}

static const char *number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if ((p = digits(p)) == NULL)
        return NULL;
    if (*p == '.' && (p = digits(p + 1)) == NULL)
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        p = digits(p);
    }
    return p;
}

/* The elements of an array or the members of an object, up to close. */
static const char *elements(const char *p, char close, bool members, int depth)
{
    p = ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (members) {
            if ((p = string(ws(p))) == NULL || *(p = ws(p)) != ':')
                return NULL;
            p++;
        }
        if ((p = value(p, depth + 1)) == NULL)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

/* A value with the white space around it. */
static const char *value(const char *p, int depth)
{
    if (depth > MAX_DEPTH)
        return NULL;
    p = ws(p);
    if (*p == '{')
        p = elements(p, '}', true, depth);
    else if (*p == '[')
        p = elements(p, ']', false, depth);
    else if (*p == '"')
        p = string(p);
    else if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
        p += 4;
    else if (strncmp(p, "false", 5) == 0)
        p += 5;
    else
        p = number(p);
    return p != NULL ? ws(p) : NULL;
}

bool json_valid(const char *text)
{
    const char *end = value(text, 0);
    return end != NULL && *end == '\0';
}
