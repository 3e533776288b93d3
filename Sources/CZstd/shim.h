#include <zstd.h>
/* fastCover training with fixed parameters (zstd exports it; the header hides it behind this). */
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
