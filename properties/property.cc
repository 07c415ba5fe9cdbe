#include "properties/property.h"

#include "oracle/case_oracle.h"
#include "oracle/plugin_backend.h"

namespace qdiff::props {

CheckResult check_property(const Property& p, const Case& c, const Backend& backend) {
  try {
    return p.check(c, backend);
  } catch (const NotApplicable&) {
    return CheckResult{{}, true};  // a plug-in declined the call: no judgement
  } catch (const std::exception& e) {
    CheckResult r;
    r.verdict = Verdict::fail(std::string("exception escaped: ") + e.what());
    return r;
  }
}

PropertyRun run_property(const Property& p, Source& src, const Backend& backend) {
  PropertyRun run;
  try {
    run.reproducer = p.draw(src);
  } catch (const std::exception& e) {
    // A generator bug: report it as a failure without a case.
    run.result.verdict = Verdict::fail(std::string("generator threw: ") + e.what());
    return run;
  }
  run.result = check_property(p, *run.reproducer, backend);
  return run;
}

CheckResult check_case_file(const CaseFile& f, const Backend& backend) {
  if (f.property.empty()) {
    try {
      return CheckResult{check_case(f.c, backend), false};
    } catch (const NotApplicable&) {
      return CheckResult{{}, true};  // the backend declines the case's op
    } catch (const std::exception& e) {
      return CheckResult{Verdict::fail(std::string("exception escaped: ") + e.what()), false};
    }
  }
  const Property* p = find_property(f.property);
  if (!p) return CheckResult{Verdict::fail("case file names an unknown property: " + f.property), false};
  return check_property(*p, f.c, backend);
}

const std::vector<Property>& all_properties() {
  static const std::vector<Property> properties = [] {
    std::vector<Property> all = affine_properties();
    for (auto& p : fused_properties()) all.push_back(std::move(p));
    for (auto& p : graph_properties()) all.push_back(std::move(p));
    for (auto& p : pass_firing_properties()) all.push_back(std::move(p));
    return all;
  }();
  return properties;
}

const Property* find_property(std::string_view name) {
  for (const auto& p : all_properties()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace qdiff::props
