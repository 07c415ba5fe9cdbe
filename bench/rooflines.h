// Memory-bound loops that bound what a quantize / dequantize kernel can
// reach on the same buffers, each in several strategies; the summary
// divides by the fastest strategy of a kind, so the roofline is the best
// loop we have, not one loop:
//   read_*     a read-only pass over the op's input bytes (f32 for
//              quantize, i8 for dequantize): 4 or 8 OR chains of 64-byte
//              loads, plain, with software prefetch 4-64 KiB ahead, or
//              with non-temporal loads (vmovntdqa);
//   traffic_*  the op's input AND output bytes with a width conversion
//              only (quantize: read 4 B, write 1 B; dequantize: read 1 B,
//              write 4 B), plain or non-temporal stores, with or without
//              prefetch: the bound of a write-heavy op such as dequantize.
// A kernel faster than a roofline means that roofline is not the limit:
// the summary's self-check reports "baseline too weak".
#pragma once

#include <string>

#include "bench/bench_cases.h"

namespace qdiff::bench {

// Registers every strategy of both kinds for both ops at both sizes, named
// "<kind>_<strategy>/<op>/<size>".
void register_rooflines();

// "read" or "traffic" for a benchmark name of a roofline, "" otherwise.
std::string roofline_kind(const std::string& benchmark_name);

}  // namespace qdiff::bench
