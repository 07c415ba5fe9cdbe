#include "core/error.h"

#include <array>
#include <utility>

namespace qdiff {
namespace {
constexpr std::array<std::pair<ErrorKind, std::string_view>, 9> kNames{{
    {ErrorKind::invalid_shape, "invalid_shape"},
    {ErrorKind::non_divisible_block, "non_divisible_block"},
    {ErrorKind::invalid_scale, "invalid_scale"},
    {ErrorKind::invalid_zero_point, "invalid_zero_point"},
    {ErrorKind::invalid_range, "invalid_range"},
    {ErrorKind::nan_input, "nan_input"},
    {ErrorKind::too_large, "too_large"},
    {ErrorKind::malformed_case, "malformed_case"},
    {ErrorKind::unsupported, "unsupported"},
}};
}  // namespace

std::string_view error_kind_name(ErrorKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<ErrorKind> parse_error_kind(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

}  // namespace qdiff
