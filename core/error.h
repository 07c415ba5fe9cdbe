// Typed errors with the stable kinds of SPEC section 10.
//
// Every rejected input throws qdiff::Error. The kind is the stable part
// (compared for error parity between reference and optimized); the message
// names the offending argument, dim and values for humans.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace qdiff {

enum class ErrorKind {
  invalid_shape,
  non_divisible_block,
  invalid_scale,
  invalid_zero_point,
  invalid_range,
  nan_input,
  too_large,
  malformed_case,
  unsupported,
};

std::string_view error_kind_name(ErrorKind kind);
std::optional<ErrorKind> parse_error_kind(std::string_view name);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// fail(kind, "input dim {} (size {}) ...", d, n): formats and throws.
template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> format,
                       Args&&... args) {
  throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace qdiff
