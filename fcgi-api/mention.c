/* mention.c -- "@username" scanning (see mention.h). */
#include "mention.h"

#include <stdio.h>
#include <string.h>

static int mention_namechar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

/* Adds name[0..len) lower-cased unless present or the list is full. */
static size_t mention_add(char out[][MENTION_NAME_MAX + 1], size_t count, size_t max,
                          const char *name, size_t len)
{
    char low[MENTION_NAME_MAX + 1];

    if (len < 3 || len > MENTION_NAME_MAX || count >= max)
        return count;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] - 'A' + 'a' : name[i]);
    low[len] = '\0';
    for (size_t i = 0; i < count; i++)
        if (strcmp(out[i], low) == 0)
            return count;
    memcpy(out[count], low, len + 1);
    return count + 1;
}

size_t mention_scan(const char *s, size_t n, char out[][MENTION_NAME_MAX + 1], size_t max)
{
    size_t count = 0;

    for (size_t i = 0; i < n && count < max; i++) {
        size_t start, len;
        if (s[i] != '@' || (i > 0 && (mention_namechar((unsigned char)s[i - 1]) ||
                                      s[i - 1] == '@')))
            continue;
        start = i + 1;
        len = 0;
        while (start + len < n && mention_namechar((unsigned char)s[start + len]))
            len++;
        i = start + len - 1;    /* the loop's i++ lands after the name */
        if (len > MENTION_NAME_MAX)
            continue;           /* longer than any username: not a name */
        count = mention_add(out, count, max, s + start, len);
        while (len > 0 && s[start + len - 1] == '.')
            len--;
        count = mention_add(out, count, max, s + start, len);
    }
    return count;
}

int mention_array(char names[][MENTION_NAME_MAX + 1], size_t count, char *buf, size_t len)
{
    size_t used = 0;
    int w;

    w = snprintf(buf, len, "{");
    if (w < 0 || (size_t)w >= len)
        return -1;
    used = (size_t)w;
    for (size_t i = 0; i < count; i++) {
        w = snprintf(buf + used, len - used, "%s\"%s\"", i ? "," : "", names[i]);
        if (w < 0 || (size_t)w >= len - used)
            return -1;
        used += (size_t)w;
    }
    w = snprintf(buf + used, len - used, "}");
    return (w < 0 || (size_t)w >= len - used) ? -1 : 0;
}
