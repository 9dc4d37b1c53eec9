/* steps.c: the invoice job's steps, in cents: 250 a unit, 20% tax. */
#include "own_runtime.job.h"

int invoice_Price(aj_ctx *ctx, int quantity, int *net)
{
    (void)ctx;
    *net = quantity * 250;
    return 0;
}

int invoice_Tax(aj_ctx *ctx, int quantity, int net, int *tax)
{
    (void)ctx;
    (void)quantity;
    *tax = net / 5;
    return 0;
}

int invoice_Total(aj_ctx *ctx, int quantity, int net, int tax, int *total)
{
    (void)ctx;
    (void)quantity;
    *total = net + tax;
    return 0;
}
