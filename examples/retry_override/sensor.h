/* sensor.h: the weather job's input, a sensor that is not ready for the
 * first few reads after it is powered on. */
#ifndef SENSOR_H
#define SENSOR_H

enum { SENSOR_NOT_READY = 11 };

typedef struct Sensor {
    int warmup_reads;     /* reads that fail after power-on */
    int left;             /* of those, still to come */
    int tenths_celsius;   /* what it reads once ready */
} Sensor;

#endif
