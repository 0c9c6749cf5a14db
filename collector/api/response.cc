#include "collector/api/response.h"

#include <cstdint>

namespace strata::collector::api {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when the byte does not start one.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t min_cp;
  uint32_t cp;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min_cp = 0x80, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min_cp = 0x800, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min_cp = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out.append("\\u00").push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    const size_t len = Utf8Length(s, i);
    if (len == 0) {
      out.append("\\ufffd");
      ++i;
      continue;
    }
    const std::string_view seq = s.substr(i, len);
    if (seq == "\xE2\x80\xA8") {
      out.append("\\u2028");
    } else if (seq == "\xE2\x80\xA9") {
      out.append("\\u2029");
    } else {
      out.append(seq);
    }
    i += len;
  }
  out.push_back('"');
}

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, values[i]);
  }
  out.push_back(']');
  return out;
}

ApiResponse Success(std::string_view data_json, bool truncated) {
  std::string body = SuccessBegin();
  body.append(data_json);
  return SuccessEnd(std::move(body), truncated);
}

std::string SuccessBegin() { return "{\"status\":\"success\",\"data\":"; }

ApiResponse SuccessEnd(std::string body, bool truncated) {
  if (truncated) body.append(",\"warnings\":[\"results truncated due to limit\"]");
  body.push_back('}');
  return ApiResponse{200, std::move(body)};
}

ApiResponse Error(int status, std::string_view error_type, std::string_view message) {
  return ApiResponse{status, "{\"status\":\"error\",\"errorType\":" + JsonString(error_type) +
                                 ",\"error\":" + JsonString(message) + "}"};
}

ApiResponse BadData(std::string_view message) { return Error(kStatusBadData, "bad_data", message); }

ApiResponse InvalidParam(std::string_view param, std::string_view message) {
  return BadData("invalid parameter \"" + std::string(param) + "\": " + std::string(message));
}

ApiResponse Execution(std::string_view message) {
  return Error(kStatusExecution, "execution", message);
}

const std::string* FirstParam(const ApiRequest& request, const std::string& name) {
  auto it = request.params.lower_bound(name);
  if (it == request.params.end() || it->first != name) return nullptr;
  return &it->second;
}

std::vector<std::string> AllParams(const ApiRequest& request, const std::string& name) {
  std::vector<std::string> out;
  auto [first, last] = request.params.equal_range(name);
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

}  // namespace strata::collector::api
