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

std::optional<BiasGrid> parse_bias_grid(std::string_view name) {
  for (BiasGrid g : kAllBiasGrids) {
    if (bias_grid_name(g) == name) return g;
  }
  return std::nullopt;
}

std::string_view output_zero_point_name(OutputZeroPoint z) {
  switch (z) {
    case OutputZeroPoint::after_rounding: return "after_rounding";
    case OutputZeroPoint::before_rounding: return "before_rounding";
  }
  return "?";
}

std::optional<OutputZeroPoint> parse_output_zero_point(std::string_view name) {
  for (OutputZeroPoint z : kAllOutputZeroPoints) {
    if (output_zero_point_name(z) == name) return z;
  }
  return std::nullopt;
}

std::string describe(const QLinearContract& c) {
  return fmt::format("bias {}, output zero point {}", bias_grid_name(c.bias),
                     output_zero_point_name(c.output_zero_point));
}

}  // namespace qdiff
