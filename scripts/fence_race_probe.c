/* LD_PRELOAD probe for llvmpipe's fence race: widens the window in which a rasteriser thread
 * has counted its fence complete but not yet unlocked it, and reports any destruction of a
 * condition variable during that window (the fence being freed under the signaller). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 64
static _Atomic(void *) inflight[SLOTS];
static atomic_long hits, windows;
static long delay_ns = -1;
static int abort_on_hit = 1;
static int (*real_broadcast)(pthread_cond_t *);
static int (*real_destroy)(pthread_cond_t *);

static void init(void) {
    if (delay_ns >= 0) return;
    const char *d = getenv("FENCE_PROBE_DELAY_US");
    const char *a = getenv("FENCE_PROBE_ABORT");
    abort_on_hit = a ? atoi(a) : 1;
    real_broadcast = dlsym(RTLD_NEXT, "pthread_cond_broadcast");
    real_destroy = dlsym(RTLD_NEXT, "pthread_cond_destroy");
    delay_ns = (d ? atol(d) : 200) * 1000L;
}

static int in_rasteriser(void) {
    char name[17] = {0};
    prctl(PR_GET_NAME, name, 0, 0, 0);
    return strncmp(name, "llvmpipe-", 9) == 0;
}

int pthread_cond_broadcast(pthread_cond_t *cond) {
    init();
    int ret = real_broadcast(cond);
    if (delay_ns > 0 && in_rasteriser()) {
        int slot = -1;
        for (int i = 0; i < SLOTS && slot < 0; i++) {
            void *expected = NULL;
            if (atomic_compare_exchange_strong(&inflight[i], &expected, (void *)cond)) slot = i;
        }
        atomic_fetch_add(&windows, 1);
        struct timespec ts = {0, delay_ns};
        nanosleep(&ts, NULL);  /* the caller (lp_fence_signal) still holds the fence mutex */
        if (slot >= 0) atomic_store(&inflight[slot], NULL);
    }
    return ret;
}

int pthread_cond_destroy(pthread_cond_t *cond) {
    init();
    for (int i = 0; i < SLOTS; i++) {
        if (atomic_load(&inflight[i]) == (void *)cond) {
            long n = atomic_fetch_add(&hits, 1) + 1;
            fprintf(stderr, "fence_race_probe: HIT %ld: condition %p destroyed while a "
                    "rasteriser thread is inside its critical section\n", n, (void *)cond);
            if (abort_on_hit) abort();
        }
    }
    return real_destroy(cond);
}

__attribute__((destructor)) static void report(void) {
    if (delay_ns >= 0)
        fprintf(stderr, "fence_race_probe: %ld widened windows, %ld hits\n",
                atomic_load(&windows), atomic_load(&hits));
}
