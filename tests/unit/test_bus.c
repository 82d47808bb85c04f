/* test_bus.c -- bus headers: what daemons accept as an event's publisher and
 * sequence number, and what they refuse. */
#include "bus.h"
#include "testhelp.h"

#include <string.h>

int main(void)
{
    char buf[BUS_HEADER_MAX], kind = 0;
    uint64_t pub = 0, seq = 0, id = bus_new_publisher();
    size_t n;

    test_cond("publisher ids are not 0", id != 0 && bus_new_publisher() != id);
    n = bus_header(buf, BUS_KIND_EVENT, 0x0123456789abcdefULL, 42);
    test_cond("event header text", n == strlen(buf) &&
                                        strcmp(buf, "e0123456789abcdef:42") == 0);
    test_cond("event header parses", bus_header_parse(buf, n, &kind, &pub, &seq) == 0 &&
                                         kind == BUS_KIND_EVENT &&
                                         pub == 0x0123456789abcdefULL && seq == 42);
    n = bus_header(buf, BUS_KIND_EVENT, UINT64_MAX, UINT64_MAX);
    test_cond("largest values round-trip", bus_header_parse(buf, n, &kind, &pub, &seq) == 0 &&
                                               pub == UINT64_MAX && seq == UINT64_MAX);
    n = bus_header(buf, BUS_KIND_NOTE, 1, 1);
    test_cond("note header", n == 1 && bus_header_parse(buf, n, &kind, &pub, &seq) == 0 &&
                                 kind == BUS_KIND_NOTE);
    test_cond("an envelope is not a header", bus_header_parse("{\"v\":1}", 7, &kind, &pub, &seq) < 0);
    test_cond("empty refused", bus_header_parse("", 0, &kind, &pub, &seq) < 0);
    test_cond("short id refused", bus_header_parse("e0123:1", 7, &kind, &pub, &seq) < 0);
    test_cond("no sequence refused",
              bus_header_parse("e0123456789abcdef:", 18, &kind, &pub, &seq) < 0);
    test_cond("signed sequence refused",
              bus_header_parse("e0123456789abcdef:-1", 20, &kind, &pub, &seq) < 0);
    test_cond("trailing junk refused",
              bus_header_parse("e0123456789abcdef:12x", 21, &kind, &pub, &seq) < 0);
    test_cond("non-hex id refused",
              bus_header_parse("e0123456789abcdeg:1", 19, &kind, &pub, &seq) < 0);
    test_cond("overlong refused", bus_header_parse("e0123456789abcdef:12345678901234567890123456", 44,
                                                   &kind, &pub, &seq) < 0);
    test_cond("not NUL-terminated input is fine",
              bus_header_parse("e0123456789abcdef:7XYZ", 19, &kind, &pub, &seq) == 0 && seq == 7);
    return test_report();
}
