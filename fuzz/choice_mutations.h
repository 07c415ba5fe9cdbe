// Quantization-aware mutations of a decoded fuzz input (a ChoiceSequence,
// fuzz/choice_codec.h). Each edits one labeled span (or two: copy, swap)
// into a template that replay() (fuzz/choice_replay.h) turns back into a
// case; the conventions they rely on are those of props::ChoiceLabel
// (properties/source.h): the lowest category is the simplest choice, a
// dim's highest category is "any size" followed by the size, a scale's is
// a bits32 mantissa with an integer exponent, a value_f32's is its raw bits.
//
// The mutations (what the re-drawn case gets):
//   dim_to_one          a dim becomes 1 (lowest category / smallest value)
//   dim_copy            a dim takes another dim's draws (same size)
//   dim_vector_edge     a dim becomes 7, 8, 9, 15, 16, 17, 31, 32 or 33
//                       (clamped to the draw's range)
//   dims_swap           two dims exchange their draws
//   rank_step           a rank category +-1: a dim is added (size 1: a
//                       broadcast dim, the replay's simplest) or removed
//   value_tie           an f32 value becomes (k + 0.5) * s exactly in double,
//                       rounded to f32, for a scale s of the case
//   value_tie_neighbour the same, then 1 or 2 float steps up or down
//   scale_pow2          a scale becomes 2^e (mantissa 0)
//   scale_min_normal    a scale becomes the smallest normal its draw allows
//                       (FLT_MIN for the quant core's scales)
//   scales_swap         two scales exchange their draws
//   contract_extreme    the contract becomes the first or last of kAllContracts
//   dtype_range_extreme a dtype / range draw goes to its lo or hi
//   zero_point_extreme  a zero point's draws go to their lo or hi (qmin/qmax)
//   qvalue_extreme      a quantized value's draws go to their lo or hi
//   node_count_step     graph: a block more or fewer, or an optional node
//                       (bias, mul, relu, reshape, absorption, output
//                       dequantize) toggled
//   node_kind_change    graph: a block of another kind (linear/elementwise,
//                       add/mul)
//   mul_constant_shape  graph: another shape for a mul constant ([K], [1, K],
//                       [1], [K, 1], [N, K])
//   category_change     any layout / validity category changes (per-tensor,
//                       per-channel, per-group, blockwise; valid or not)
//   random_span         any span's draws become uniform random in their ranges
//   regenerate_tail     everything from a span on (a log-uniform pick, so
//                       often nearly the whole case) is drawn afresh from a
//                       PRNG: the generator's own distribution, the big jumps
//                       the local edits above cannot make
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "cases/case.h"
#include "fuzz/choice_codec.h"
#include "properties/source.h"

namespace qdiff::fuzz {

enum class Mutation : uint8_t {
  dim_to_one,
  dim_copy,
  dim_vector_edge,
  dims_swap,
  rank_step,
  value_tie,
  value_tie_neighbour,
  scale_pow2,
  scale_min_normal,
  scales_swap,
  contract_extreme,
  dtype_range_extreme,
  zero_point_extreme,
  qvalue_extreme,
  node_count_step,
  node_kind_change,
  mul_constant_shape,
  category_change,
  random_span,
  regenerate_tail,
  kCount
};
std::string_view mutation_name(Mutation m);

// What the value mutations need to know about a case: its scales (positive
// normal f32 values of every scale tensor) and quant ranges.
struct CaseFacts {
  std::vector<float> scales;
  std::vector<std::pair<int64_t, int64_t>> ranges;
};
CaseFacts case_facts(const Case& c);

// Where a mutation applied; `value` is the f32 a value_tie* or scale_*
// mutation aimed at (for tests and logs).
struct MutationSite {
  size_t span = 0;
  std::optional<size_t> other_span;  // copy / swap partner
  std::optional<float> value;
  std::optional<uint64_t> fill_seed;  // regenerate_tail: pass to replay()
};

// The spans `m` can edit in `seq` (for copies and swaps: the span edited;
// apply_mutation returns nullopt when no partner differs from it).
std::vector<size_t> mutation_targets(Mutation m, const ChoiceSequence& seq, const CaseFacts& facts);

// Applies `m` to span `at` (one of mutation_targets) of `seq`, in place:
// `seq` becomes a template for replay(). nullopt: nothing to do there.
std::optional<MutationSite> apply_mutation(Mutation m, ChoiceSequence& seq, size_t at,
                                           const CaseFacts& facts, props::PrngSource& rng);

// A random applicable mutation at a random target: regenerate_tail with
// probability kRegenerateTailPercent, else a kind drawn uniformly among the
// applicable others.
inline constexpr int kRegenerateTailPercent = 25;
std::optional<std::pair<Mutation, MutationSite>> apply_random_mutation(ChoiceSequence& seq,
                                                                       const CaseFacts& facts,
                                                                       props::PrngSource& rng);

// Vector widths +-1 (AVX2 8 f32, AVX-512 16 f32, 32 for unrolled loops).
inline constexpr int64_t kVectorEdgeSizes[] = {7, 8, 9, 15, 16, 17, 31, 32, 33};

}  // namespace qdiff::fuzz
