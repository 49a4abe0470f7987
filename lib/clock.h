/* clock: monotonic milliseconds and deadlines; every wait in the program takes one. */
#ifndef RCI_CLOCK_H
#define RCI_CLOCK_H
#include <stdint.h>

int64_t clock_now_ms(void);
/* Wall-clock unix milliseconds (the scale of Redis's ping/pong times). */
int64_t clock_unix_ms(void);
/* Milliseconds left until deadline (absolute, clock_now_ms() scale), never negative. */
int64_t clock_left_ms(int64_t deadline);
/* Sleep min(ms, time left before deadline). Returns early on a signal. */
void clock_sleep_ms(int64_t ms, int64_t deadline);

#endif
