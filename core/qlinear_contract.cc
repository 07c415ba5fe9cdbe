#include "core/qlinear_contract.h"

#include <fmt/format.h>

namespace qdiff {

std::string_view bias_grid_name(BiasGrid g) {
  switch (g) {
    case BiasGrid::float_bias: return "float";
    case BiasGrid::int32_acc: return "int32_acc";
  }
  return "?";
}

namespace {

// The value of `all` whose name is `name`.
template <typename E, size_t N>
std::optional<E> parse_named(const E (&all)[N], std::string_view (*name_of)(E), std::string_view name) {
  for (E e : all) {
    if (name_of(e) == name) return e;
  }
  return std::nullopt;
}

}  // namespace

std::optional<BiasGrid> parse_bias_grid(std::string_view name) {
  return parse_named(kAllBiasGrids, bias_grid_name, name);
}

std::string_view output_zero_point_name(OutputZeroPoint z) {
  switch (z) {
    case OutputZeroPoint::after_rounding: return "after_rounding";
    case OutputZeroPoint::before_rounding: return "before_rounding";
  }
  return "?";
}

std::optional<OutputZeroPoint> parse_output_zero_point(std::string_view name) {
  return parse_named(kAllOutputZeroPoints, output_zero_point_name, name);
}

std::string describe(const QLinearContract& c) {
  return fmt::format("bias {}, output zero point {}", bias_grid_name(c.bias),
                     output_zero_point_name(c.output_zero_point));
}

}  // namespace qdiff
