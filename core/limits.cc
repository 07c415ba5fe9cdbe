#include "core/limits.h"

#include <atomic>

#include "core/error.h"

namespace qdiff {
namespace {
std::atomic<int64_t> g_max_elements{kDefaultMaxElements};
}

int64_t max_elements() { return g_max_elements.load(std::memory_order_relaxed); }
void set_max_elements(int64_t cap) { g_max_elements.store(cap, std::memory_order_relaxed); }

int64_t check_element_cap(const Shape& shape, const char* what) {
  const auto n = shape.checked_numel();
  if (!n || *n > max_elements()) {
    fail(ErrorKind::too_large, "{} shape {} has more than {} elements", what,
         shape.str(), max_elements());
  }
  return *n;
}

}  // namespace qdiff
