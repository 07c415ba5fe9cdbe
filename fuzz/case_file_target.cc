#include "adapters/optimized_backend.h"
#include "fuzz/case_file_target.h"

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "cases/case.h"
#include "oracle/case_oracle.h"
#include "oracle/plugin_backend.h"

namespace qdiff::fuzz {

std::optional<std::string> check_case_file_bytes(const uint8_t* data, size_t size,
                                                 const Backend& backend) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Case c;
  try {
    c = parse_case(text);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::malformed_case || e.kind() == ErrorKind::too_large) return std::nullopt;
    return fmt::format("parser raised {} instead of malformed_case: {}", error_kind_name(e.kind()),
                       e.what());
  }
  const std::string once = write_case(c);
  std::string twice;
  try {
    twice = write_case(parse_case(once));
  } catch (const Error& e) {
    return fmt::format("a written case does not parse back: {}\n{}", e.what(), once);
  }
  if (once != twice) {
    return fmt::format("case file does not round-trip:\n{}\n--- became ---\n{}", once, twice);
  }
  // An outside backend (plug-in, process) may decline the case, or fail
  // on it in a way that is no Error (a crashed process): a finding, never
  // an exception out of the replay.
  Verdict v;
  try {
    v = check_case(c, backend);
  } catch (const NotApplicable&) {
    return std::nullopt;
  } catch (const std::exception& e) {
    v = Verdict::fail(std::string("exception escaped: ") + e.what());
  }
  if (!v.ok) return fmt::format("{}\ncase:\n{}", v.describe(), once);
  return std::nullopt;
}

int case_file_fuzz_entry(std::string_view target_name, const uint8_t* data, size_t size) {
  static const auto optimized = make_optimized_backend();
  if (const auto finding = check_case_file_bytes(data, size, *optimized)) {
    fmt::print(stderr, "\n== qdiff finding in fuzz target {}\n{}\n", target_name, *finding);
    std::fflush(stderr);
    std::abort();
  }
  return 0;
}

}  // namespace qdiff::fuzz
