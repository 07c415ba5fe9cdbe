// Helpers every test area shares: the error a call throws, a scoped element
// cap, and the ISAs this CPU runs.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/limits.h"
#include "impl/options.h"

namespace qdiff::test_util {

// The qdiff::Error that f throws, or nullopt when it throws none.
template <typename F>
std::optional<Error> error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

// The kind of the qdiff::Error that f throws, or nullopt.
template <typename F>
std::optional<ErrorKind> error_kind_of(F&& f) {
  const std::optional<Error> e = error_of(std::forward<F>(f));
  if (!e) return std::nullopt;
  return e->kind();
}

// Lowers the element cap (core/shape.h) for its scope and restores it.
class CapGuard {
 public:
  explicit CapGuard(int64_t cap) { set_max_elements(cap); }
  ~CapGuard() { set_max_elements(saved_); }
  CapGuard(const CapGuard&) = delete;
  CapGuard& operator=(const CapGuard&) = delete;

 private:
  int64_t saved_ = max_elements();
};

// Every ISA family compiled in and supported by this CPU, scalar first.
inline std::vector<impl::Isa> supported_isas() {
  std::vector<impl::Isa> out;
  for (impl::Isa isa : impl::kAllIsas) {
    if (impl::isa_supported(isa)) out.push_back(isa);
  }
  return out;
}

}  // namespace qdiff::test_util
