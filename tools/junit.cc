#include "tools/junit.h"

#include <fstream>

#include <fmt/format.h>

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

void JUnitReport::write(const std::string& path) const {
  int failures = 0;
  double total = 0;
  for (const auto& c : cases_) {
    failures += !c.failure.empty();
    total += c.seconds;
  }
  std::ofstream out(path);
  out << fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
                     "<testsuite name=\"qdiff check\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n",
                     cases_.size(), failures, total);
  for (const auto& c : cases_) {
    out << fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", xml_escape(c.classname),
                       xml_escape(c.name), c.seconds);
    if (c.failure.empty()) {
      out << "/>\n";
    } else {
      const auto first_line = c.failure.substr(0, c.failure.find('\n'));
      out << fmt::format(">\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
                         xml_escape(first_line), xml_escape(c.failure));
    }
  }
  out << "</testsuite>\n</testsuites>\n";
}

}  // namespace qdiff::tools
