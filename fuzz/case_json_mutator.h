// Structural mutations of a case file (docs/case-file-format.md) for the
// case_file and graph_case_file fuzz targets: the text is parsed as JSON,
// one field is changed the way the choice mutations change a drawn case
// (fuzz/choice_mutations.h), and the document is written back (compact).
//
//   tensor_dim          a tensor dim becomes 1, another dim of the file, or a
//                       vector width +-1; its data is cut or repeated to fit
//                       (a graph input's declared shape follows)
//   value_tie           an f32 value becomes (k + 0.5) * s for a scale s of
//                       the file, or a float neighbour of it
//   scale_pow2          a scale value becomes 2^floor(log2 s)
//   scale_min_normal    a scale value becomes FLT_MIN
//   contract            another contract name
//   quant_range_extreme quant_min / quant_max at the dtype's extremes, or equal
//   zero_point_extreme  a zero-point value at quant_min or quant_max
//   integer_extreme     an integer tensor value at its dtype's min or max
//   relu_insert         graph: a relu after a node (ids renumbered)
//   relu_delete         graph: a relu removed, its users read its input
//
// Numbers are rewritten exactly: an f32 value as the double that equals it
// (which reads back to the same f32), non-finite ones as "inf" / "-inf".
// A number the mutation does not touch goes through nlohmann's double, so a
// decimal written with more digits than a double holds may come back as a
// neighbouring f32: harmless for a fuzzer input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "properties/source.h"

namespace qdiff::fuzz {

enum class JsonMutation : uint8_t {
  tensor_dim,
  value_tie,
  scale_pow2,
  scale_min_normal,
  contract,
  quant_range_extreme,
  zero_point_extreme,
  integer_extreme,
  relu_insert,
  relu_delete,
  kCount
};
std::string_view json_mutation_name(JsonMutation m);

// Nesting deeper than this is left to byte mutation (the JSON writer
// recurses).
inline constexpr int kMaxJsonDepth = 64;

// The mutated text, or nullopt when `text` is not a JSON object within
// kMaxJsonDepth or `m` finds nothing to change.
std::optional<std::string> apply_json_mutation(JsonMutation m, std::string_view text, props::PrngSource& rng);
// A random applicable mutation.
std::optional<std::string> mutate_case_json(std::string_view text, props::PrngSource& rng);

// Cross-over: `a` with one top-level field taken from `b` (a field both
// have, other than format, version and op); nullopt when either is not a
// JSON object or they share no such field.
std::optional<std::string> cross_over_case_json(std::string_view a, std::string_view b, props::PrngSource& rng);

}  // namespace qdiff::fuzz
