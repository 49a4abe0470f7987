#include "clock.h"

#include <time.h>

int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_left_ms(int64_t deadline)
{
    int64_t left = deadline - clock_now_ms();
    return left > 0 ? left : 0;
}

void clock_sleep_ms(int64_t ms, int64_t deadline)
{
    int64_t left = clock_left_ms(deadline);
    if (ms > left) ms = left;
    if (ms <= 0) return;
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int64_t clock_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
