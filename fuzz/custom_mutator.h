// libFuzzer custom mutator: structure-aware mutation of the fuzz targets'
// inputs (docs/fuzzing.md, "Structure-aware mutation").
//
// Property targets: the input is decoded into labeled choices
// (fuzz/choice_codec.h), one to three quantization-aware mutations edit it
// (fuzz/choice_mutations.h), the generator re-draws the case from the
// edited choices (fuzz/choice_replay.h) and the draws are encoded back.
// Cross-over splices one input's choices up to a span with the other's
// from a span of the same label. Case-file targets (case_file,
// graph_case_file): the JSON is edited field by field
// (fuzz/case_json_mutator.h).
//
// libFuzzer's own byte mutation (LLVMFuzzerMutate) stays: 20% of the calls,
// and whenever the structured path finds nothing to change or the text is
// not a case. Environment: QDIFF_MUTATOR=plain makes every call plain
// LLVMFuzzerMutate, so one binary measures with and without the mutator.
// Everything is deterministic given libFuzzer's seed.
//
// The core below takes the byte mutator as a callback so tests run it
// without libFuzzer; a fuzz target defines the entry points with
// QDIFF_DEFINE_MUTATOR("target") (only in libFuzzer builds: the replay
// drivers have no LLVMFuzzerMutate).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace qdiff::fuzz {

// LLVMFuzzerMutate's signature: mutates data[0..size) in place within
// max_size bytes and returns the new size.
using ByteMutator = std::function<size_t(uint8_t* data, size_t size, size_t max_size)>;

enum class MutatorMode { structured, plain };
// QDIFF_MUTATOR=plain -> plain; unset or anything else -> structured.
MutatorMode mutator_mode_from_env();

struct MutatorOptions {
  MutatorMode mode = MutatorMode::structured;
  int byte_fallback_percent = 20;  // calls that go straight to the byte mutator
};
// The target's share of byte mutation (50 for lowering, else 20);
// QDIFF_MUTATOR_BYTE_PERCENT overrides it in the fuzz binaries.
int default_byte_percent(std::string_view target);

// A mutated copy of `input` (at most max_size bytes) for the named target.
std::vector<uint8_t> mutate_input(std::string_view target, std::span<const uint8_t> input, size_t max_size,
                                  uint32_t seed, const ByteMutator& byte_mutator, const MutatorOptions& options = {});
// A child of `a` and `b` (at most max_size bytes).
std::vector<uint8_t> cross_over_inputs(std::string_view target, std::span<const uint8_t> a,
                                       std::span<const uint8_t> b, size_t max_size, uint32_t seed,
                                       const ByteMutator& byte_mutator, const MutatorOptions& options = {});

// The mutator keeps decoded inputs by content (speed only: results do not
// depend on it); tests clear it to compare with a fresh decode.
void clear_decode_cache();

// libFuzzer glue: mode from the environment (read once).
size_t libfuzzer_custom_mutator(std::string_view target, uint8_t* data, size_t size, size_t max_size,
                                unsigned int seed, const ByteMutator& byte_mutator);
size_t libfuzzer_custom_cross_over(std::string_view target, const uint8_t* data1, size_t size1,
                                   const uint8_t* data2, size_t size2, uint8_t* out, size_t max_out_size,
                                   unsigned int seed, const ByteMutator& byte_mutator);

}  // namespace qdiff::fuzz

#if defined(QDIFF_LIBFUZZER)
// Weak: an engine without it (OSS-Fuzz may link AFL's driver) leaves it
// null, and the mutator then keeps its structured edits only.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size) __attribute__((weak));
namespace qdiff::fuzz {
inline size_t engine_byte_mutator(uint8_t* data, size_t size, size_t max_size) {
  return &LLVMFuzzerMutate ? LLVMFuzzerMutate(data, size, max_size) : size;
}
}  // namespace qdiff::fuzz
// The custom mutator entry points of one fuzz target binary.
#define QDIFF_DEFINE_MUTATOR(target)                                                                             \
  extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {    \
    return ::qdiff::fuzz::libfuzzer_custom_mutator(target, data, size, max_size, seed,                          \
                                                   &::qdiff::fuzz::engine_byte_mutator);                        \
  }                                                                                                              \
  extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1, const uint8_t* data2,          \
                                              size_t size2, uint8_t* out, size_t max_out_size, unsigned int seed) { \
    return ::qdiff::fuzz::libfuzzer_custom_cross_over(target, data1, size1, data2, size2, out, max_out_size, seed, \
                                                      &::qdiff::fuzz::engine_byte_mutator);                     \
  }                                                                                                              \
  static_assert(true, "")
#else
// Replay drivers (no libFuzzer): no entry points.
#define QDIFF_DEFINE_MUTATOR(target) static_assert(true, "")
#endif
