#include "tools/flag_names.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cases/printable_text.h"
#include "properties/property.h"

namespace qdiff::tools {
namespace {

std::vector<std::string> isa_names(bool supported_only) {
  std::vector<std::string> names;
  for (impl::Isa isa : impl::kAllIsas) {
    if (!supported_only || impl::isa_supported(isa)) names.emplace_back(impl::isa_name(isa));
  }
  return names;
}

}  // namespace

std::optional<impl::Isa> isa_from_flag(const std::string& name) {
  const auto isa = impl::parse_isa(name);
  if (!isa) {
    fmt::print(stderr, "unknown ISA '{}'; valid: {}\n", escape_control_chars(name),
               fmt::join(isa_names(false), ", "));
    return std::nullopt;
  }
  if (!impl::isa_supported(*isa)) {
    fmt::print(stderr, "ISA '{}' is not supported on this machine; supported: {}\n", name,
               fmt::join(isa_names(true), ", "));
    return std::nullopt;
  }
  return isa;
}

std::string fault_name_problem(const std::string& name) {
  if (impl::parse_fault_point(name)) return "";
  std::vector<std::string_view> names;
  for (const impl::FaultInfo& fault : impl::kFaultCatalogue) names.push_back(fault.name);
  return fmt::format("unknown fault point '{}'; valid:\n  {}", escape_control_chars(name), fmt::join(names, "\n  "));
}

std::optional<impl::FaultPoint> fault_from_flag(const std::string& name) {
  if (const auto point = impl::parse_fault_point(name)) return point;
  fmt::print(stderr, "{}\n", fault_name_problem(name));
  return std::nullopt;
}

bool property_filters_match(const std::vector<std::string>& filters) {
  std::vector<std::string> unmatched;
  for (const auto& f : filters) {
    bool matched = false;
    for (const auto& p : props::all_properties()) matched |= p.name.find(f) != std::string::npos;
    if (!matched) unmatched.push_back(fmt::format("'{}'", escape_control_chars(f)));
  }
  if (unmatched.empty()) return true;
  std::vector<std::string_view> names;
  for (const auto& p : props::all_properties()) names.emplace_back(p.name);
  fmt::print(stderr, "--property {} matches no property (a name or part of one); properties:\n  {}\n",
             fmt::join(unmatched, ", "), fmt::join(names, "\n  "));
  return false;
}

}  // namespace qdiff::tools
