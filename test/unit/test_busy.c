/* A key found on both sides of a move (lib/busy.c): only identical copies may be dropped. */
#include "busy.h"
#include "t.h"

static busy_copy_t copy(const char *dump, size_t len, long long expire_at)
{
    busy_copy_t c = { 1, dump, len, expire_at };
    return c;
}

int main(void)
{
    busy_copy_t none = { 0, NULL, 0, 0 };
    busy_copy_t a = copy("\x00\x02v1\x0b\x00", 6, -1);
    busy_copy_t a2 = copy("\x00\x02v1\x0b\x00", 6, -1);
    /* Moved (or deleted) from the source: nothing to settle, whatever the target has. */
    CHECK(busy_judge(&none, &a) == BUSY_GONE);
    CHECK(busy_judge(&none, &none) == BUSY_GONE);
    /* Only on the source: MIGRATE moves it. */
    CHECK(busy_judge(&a, &none) == BUSY_FREE);
    /* The same serialized value and no expiry on either: the source's copy can go. */
    CHECK(busy_judge(&a, &a2) == BUSY_SAME);
    /* A value that differs after a NUL byte (payloads are binary, compared by length and bytes). */
    busy_copy_t b = copy("\x00\x02v1\x0b\x01", 6, -1);
    CHECK(busy_judge(&a, &b) == BUSY_DIFFERENT);
    /* A longer value with the same prefix. */
    busy_copy_t c = copy("\x00\x02v1\x0b\x00\x00", 7, -1);
    CHECK(busy_judge(&a, &c) == BUSY_DIFFERENT);
    CHECK(busy_judge(&c, &a) == BUSY_DIFFERENT);
    /* The same value, but an expiry on one side only, or two different expiries: a write (EXPIRE,
     * PERSIST) reached one copy, so neither may be dropped. */
    busy_copy_t e1 = copy("\x00\x02v1\x0b\x00", 6, 1796151602000LL);
    busy_copy_t e2 = copy("\x00\x02v1\x0b\x00", 6, 1796151603000LL);
    busy_copy_t e1b = copy("\x00\x02v1\x0b\x00", 6, 1796151602000LL);
    CHECK(busy_judge(&a, &e1) == BUSY_DIFFERENT);
    CHECK(busy_judge(&e1, &a) == BUSY_DIFFERENT);
    CHECK(busy_judge(&e1, &e2) == BUSY_DIFFERENT);
    CHECK(busy_judge(&e1, &e1b) == BUSY_SAME);
    /* Empty payloads of equal length compare equal (no read past either). */
    busy_copy_t z1 = copy("", 0, -1), z2 = copy("", 0, -1);
    CHECK(busy_judge(&z1, &z2) == BUSY_SAME);
    return T_DONE();
}
