#include "tools/junit.h"

#include <fmt/format.h>

#include "cases/durable_file.h"

namespace qdiff::tools {
namespace {
std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}
}  // namespace

void JUnitReport::add(std::string classname, std::string name, double seconds, std::string failure) {
  cases_.push_back({std::move(classname), std::move(name), std::move(failure), seconds});
}

void JUnitReport::add_error(std::string classname, std::string name, std::string message) {
  cases_.push_back({std::move(classname), std::move(name), std::move(message), 0, true});
}

std::string JUnitReport::render() const {
  int failures = 0, errors = 0;
  double total = 0;
  for (const auto& c : cases_) {
    (c.error ? errors : failures) += !c.failure.empty();
    total += c.seconds;
  }
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
      "<testsuite name=\"qdiff check\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\">\n",
      cases_.size(), failures, errors, total);
  for (const auto& c : cases_) {
    out += fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", xml_escape(c.classname),
                       xml_escape(c.name), c.seconds);
    if (c.failure.empty()) {
      out += "/>\n";
      continue;
    }
    const char* element = c.error ? "error" : "failure";
    const auto first_line = c.failure.substr(0, c.failure.find('\n'));
    out += fmt::format(">\n    <{} message=\"{}\">{}</{}>\n  </testcase>\n", element, xml_escape(first_line),
                       xml_escape(c.failure), element);
  }
  return out + "</testsuite>\n</testsuites>\n";
}

void JUnitReport::write(const std::string& path) const { write_file_durably(path, render()); }

void JUnitReport::write_incomplete(const std::string& path) {
  JUnitReport r;
  r.add_error("qdiff check", "run", "qdiff check did not finish: it was killed or is still running");
  r.write(path);
}

}  // namespace qdiff::tools
