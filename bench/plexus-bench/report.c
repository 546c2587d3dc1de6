/*
 * report.c - the bench's result lines: the Plexus figure, the peer's figure from the same
 * run, their ratio (oriented so that higher is better for Plexus) and the target, met or not.
 */
#include <stdio.h>

#include "bench.h"

void bench_report(bench *b, const char *workload, const char *what, const char *unit, double plexus,
                  double peer, const char *peer_name, int higher_better, double target) {
    double ratio = 0;

    printf("%-12s %-34s plexus %12.4g %-10s", workload, what, plexus, unit);
    if (peer >= 0) {
        ratio = higher_better ? (peer > 0 ? plexus / peer : 0) : (plexus > 0 ? peer / plexus : 0);
        printf("  %-10s %12.4g  ratio %6.3fx", peer_name, peer, ratio);
    }
    if (target > 0) {
        int met = ratio >= target;
        printf("  target >= %.2fx: %s", target, met ? "met" : "NOT MET");
        if (!met) b->targets_missed++;
    }
    printf("\n");
    fflush(stdout);
}

void bench_report_bound(bench *b, const char *workload, const char *what, const char *unit,
                        double value, double max) {
    printf("%-12s %-34s plexus %12.4g %-10s", workload, what, value, unit);
    if (max > 0) {
        int met = value <= max;
        printf("  target <= %g %s: %s", max, unit, met ? "met" : "NOT MET");
        if (!met) b->targets_missed++;
    }
    printf("\n");
    fflush(stdout);
}

void bench_report_skip(bench *b, const char *workload, const char *why) {
    printf("%-12s skipped: %s\n", workload, why);
    fflush(stdout);
    b->failures++;
}
