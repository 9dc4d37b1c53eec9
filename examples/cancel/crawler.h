/* crawler.h: the crawl job's input. */
#ifndef CRAWLER_H
#define CRAWLER_H

#include <semaphore.h>

typedef struct Crawler {
    sem_t started;  /* posted once Crawl runs: the moment to cancel */
    int pages;      /* pages crawled so far; Crawl's alone */
} Crawler;

#endif
