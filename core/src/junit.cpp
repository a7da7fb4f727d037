#include "gradeq/junit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

#include <pugixml.hpp>

#include "gradeq/text.hpp"

namespace gradeq::junit {

namespace {

// parse_fragment keeps text that lies outside the root element (pugixml drops it otherwise), so
// that a report with anything but one root element can be told from a good one.
constexpr unsigned kParseFlags = pugi::parse_default | pugi::parse_fragment | pugi::parse_comments |
                                 pugi::parse_pi | pugi::parse_declaration | pugi::parse_doctype;

// `text` as valid UTF-8 without NUL, cut at a character boundary to at most `cap` bytes.
std::string valid_utf8_prefix(const std::string& text, std::size_t cap, bool& cut) {
  std::string out = storable_text(text, std::numeric_limits<std::size_t>::max());
  cut = out.size() > cap;
  if (cut) {
    std::size_t end = cap;
    while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xc0) == 0x80) --end;
    out.resize(end);
  }
  return out;
}

// A name: one line (control characters become spaces), at most kMaxNameBytes.
std::string clean_name(const std::string& raw) {
  bool cut = false;
  std::string out = valid_utf8_prefix(raw, kMaxNameBytes, cut);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  if (cut) out += "\xe2\x80\xa6";  // …
  return out;
}

std::string clean_message(const std::string& raw) {
  bool cut = false;
  std::string out = valid_utf8_prefix(raw, kMaxMessageBytes, cut);
  if (cut) {
    out += "\n[... truncated by gradeq: " + std::to_string(raw.size()) + " bytes in all, " +
           std::to_string(kMaxMessageBytes) + " kept ...]";
  }
  return out;
}

// The text inside an element (pcdata and CDATA children, in order).
std::string inner_text(const pugi::xml_node& node) {
  std::string text;
  for (const auto& child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) text += child.value();
  }
  return text;
}

// "message" attribute, then the details (a trace: kept after the message, so that a cut keeps
// the summary), without saying the same thing twice (GoogleTest writes the message as the text).
std::string describe(const pugi::xml_node& element) {
  std::string message = element.attribute("message").value();
  std::string details = inner_text(element);
  while (!details.empty() && (details.back() == '\n' || details.back() == ' ')) details.pop_back();
  while (!details.empty() && details.front() == '\n') details.erase(0, 1);
  if (details.empty()) return message;
  if (message.empty() || details.compare(0, message.size(), message) == 0) return details;
  return message + "\n" + details;
}

// Seconds as the report writes them ("0.012", "0", "1.5e-3"): milliseconds, 0 if unreadable.
std::int64_t milliseconds(const char* seconds) {
  char* end = nullptr;
  double s = std::strtod(seconds, &end);
  if (end == seconds || !std::isfinite(s) || s < 0) return 0;
  s = std::min(s, 1e9);
  return static_cast<std::int64_t>(std::llround(s * 1000));
}

Case read_case(const pugi::xml_node& testcase) {
  Case c;
  c.name = clean_name(testcase.attribute("name").value());
  if (c.name.empty()) c.name = "(unnamed)";
  c.classname = clean_name(testcase.attribute("classname").value());
  for (auto p = testcase.parent(); c.classname.empty() && p; p = p.parent()) {
    if (std::strcmp(p.name(), "testsuite") == 0) c.classname = clean_name(p.attribute("name").value());
  }
  c.time_ms = milliseconds(testcase.attribute("time").value());

  // The worst outcome wins: error, then failure, then skipped. GoogleTest writes one <failure>
  // per failed assertion: all of them are the message.
  static const std::pair<const char*, Outcome> kKinds[] = {
      {"error", Outcome::error}, {"failure", Outcome::failure}, {"skipped", Outcome::skipped}};
  std::string message;
  for (const auto& [element, outcome] : kKinds) {
    for (const auto& e : testcase.children(element)) {
      c.outcome = outcome;
      if (!message.empty()) message += "\n\n";
      message += describe(e);
    }
    if (c.outcome != Outcome::passed) break;
  }
  // GoogleTest lists DISABLED_ tests as status="notrun", with no child.
  if (c.outcome == Outcome::passed && std::strcmp(testcase.attribute("status").value(), "notrun") == 0) {
    c.outcome = Outcome::skipped;
    message = "not run (disabled)";
  }
  if (c.outcome == Outcome::skipped && message.empty()) message = "skipped";
  c.message = clean_message(message);
  return c;
}

// Collects the <testcase> elements in document order (pugixml's traversal is iterative: a deeply
// nested report cannot exhaust the stack). A testcase inside a testcase is not another case.
class CaseCollector : public pugi::xml_tree_walker {
 public:
  bool for_each(pugi::xml_node& node) override {
    if (inside_ >= 0 && depth() <= inside_) inside_ = -1;
    if (inside_ >= 0 || node.type() != pugi::node_element || std::strcmp(node.name(), "testcase") != 0) {
      return true;
    }
    inside_ = depth();
    if (cases.size() >= kMaxCases) {
      too_many = true;
      return false;
    }
    cases.push_back(read_case(node));
    return true;
  }

  std::vector<Case> cases;
  bool too_many = false;

 private:
  int inside_ = -1;
};

}  // namespace

std::vector<Case> parse_report(const std::string& xml) {
  if (xml.find_first_not_of(" \t\r\n") == std::string::npos) throw ReportError("the report is empty");
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size(), kParseFlags, pugi::encoding_utf8);
  if (!parsed) {
    throw ReportError("the report is not well-formed XML: " + std::string(parsed.description()) +
                      " at byte " + std::to_string(parsed.offset) + " of " + std::to_string(xml.size()));
  }
  pugi::xml_node root;
  for (const auto& node : doc.children()) {
    switch (node.type()) {
      case pugi::node_element:
        if (root) {
          throw ReportError("the report is more than one XML document: a second root element <" +
                            clean_name(node.name()) + "> follows <" + clean_name(root.name()) + ">");
        }
        root = node;
        break;
      case pugi::node_pcdata:
      case pugi::node_cdata:
        throw ReportError("the report has text outside its root element");
      default:  // declaration, doctype, comments, processing instructions
        break;
    }
  }
  if (!root) throw ReportError("the report has no root element");
  if (std::strcmp(root.name(), "testsuites") != 0 && std::strcmp(root.name(), "testsuite") != 0) {
    throw ReportError("the report's root element is <" + clean_name(root.name()) +
                      ">, not <testsuites> or <testsuite>");
  }
  CaseCollector collector;
  root.traverse(collector);
  if (collector.too_many) {
    throw ReportError("the report lists more than " + std::to_string(kMaxCases) + " test cases");
  }
  if (collector.cases.empty()) throw ReportError("the report lists no test case");
  return std::move(collector.cases);
}

}  // namespace gradeq::junit
