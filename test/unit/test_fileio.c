/* Whole-file reads and atomic writes (lib/fileio.c), in a directory of the test's own. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "t.h"

static char dir[] = "/tmp/rci-test-fileio-XXXXXX";

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void write_read_back(void)
{
    char p[128], err[256], *text;
    size_t len;
    path_of(p, sizeof p, "a");
    CHECK(fio_write_atomic(p, "hello\n", err, sizeof err) == 0);
    CHECK(fio_read_all(p, 100, &text, &len, err, sizeof err) == 0);
    CHECK(len == 6);
    if (text) CHECK_STR(text, "hello\n");
    free(text);
    struct stat st;
    CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
    char tmp[140];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    CHECK(access(tmp, F_OK) != 0); /* renamed away */
    CHECK(fio_write_atomic(p, "", err, sizeof err) == 0); /* replaces, empty */
    CHECK(fio_read_all(p, 100, &text, &len, err, sizeof err) == 0);
    CHECK(len == 0 && text && text[0] == '\0');
    free(text);
    unlink(p);
}

static void a_file_that_grows_the_buffer(void)
{
    enum { BIG = 100000 };
    char p[128], err[256], *text, *big = malloc(BIG + 1);
    size_t len;
    if (!big) return;
    for (size_t i = 0; i < BIG; i++) big[i] = (char)('a' + i % 26);
    big[BIG] = '\0';
    path_of(p, sizeof p, "big");
    CHECK(fio_write_atomic(p, big, err, sizeof err) == 0);
    CHECK(fio_read_all(p, BIG, &text, &len, err, sizeof err) == 0); /* exactly max: fits */
    CHECK(len == BIG);
    if (text) CHECK(memcmp(text, big, BIG) == 0 && text[BIG] == '\0');
    free(text);
    errno = 0;
    CHECK(fio_read_all(p, BIG - 1, &text, &len, err, sizeof err) == -1); /* one byte too many */
    CHECK(errno == EFBIG);
    CHECK(text == NULL);
    CHECK_CONTAINS(err, p);
    CHECK_CONTAINS(err, "larger than 99999 bytes");
    free(big);
    unlink(p);
}

static void missing_and_unwritable(void)
{
    char p[128], err[256], *text = (char *)1;
    size_t len = 7;
    path_of(p, sizeof p, "none");
    errno = 0;
    CHECK(fio_read_all(p, 100, &text, &len, err, sizeof err) == -1);
    CHECK(errno == ENOENT);
    CHECK(text == NULL && len == 0);
    CHECK_CONTAINS(err, p);
    CHECK_CONTAINS(err, "cannot open");
    path_of(p, sizeof p, "no-such-dir/x");
    CHECK(fio_write_atomic(p, "x", err, sizeof err) == -1);
    CHECK_CONTAINS(err, "cannot create");
    CHECK(fio_read_all(dir, 100, &text, &len, err, sizeof err) == -1); /* a directory: read fails */
    CHECK(text == NULL);
    CHECK_CONTAINS(err, "Is a directory");
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    write_read_back();
    a_file_that_grows_the_buffer();
    missing_and_unwritable();
    rmdir(dir);
    return T_DONE();
}
