// The running dev's API address beside its state file, and calls to it.
#include "emulator/http/dev_address.h"

#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace flareq::api {

std::filesystem::path dev_address_file(const std::filesystem::path& state) {
  return std::filesystem::path(state.string() + ".api.json");
}

void write_dev_address(const std::filesystem::path& state, const std::string& url, const std::string& token) {
  std::filesystem::path file = dev_address_file(state);
  std::filesystem::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << nlohmann::json{{"url", url}, {"token", token}, {"pid", getpid()}}.dump() << "\n";
  }
  chmod(tmp.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
}

namespace {

nlohmann::json read_address(const std::filesystem::path& state) {
  std::ifstream in(dev_address_file(state));
  return in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
}

}  // namespace

void remove_dev_address(const std::filesystem::path& state) {
  nlohmann::json address = read_address(state);
  if (address.is_object() && address.value("pid", 0) == getpid()) {
    std::error_code ec;
    std::filesystem::remove(dev_address_file(state), ec);
  }
}

Result<nlohmann::json> call_dev(const std::filesystem::path& state, const std::string& method, const std::string& path,
                                const std::string& body, const std::string& content_type) {
  nlohmann::json address = read_address(state);
  int pid = address.is_object() ? address.value("pid", 0) : 0;
  if (pid <= 0 || kill(pid, 0) != 0)
    return Result<nlohmann::json>::failure("no flareq dev is running on the state file " + state.string() +
                                           ": start `flareq dev` in the project first");
  std::string url = address.value("url", "");
  httplib::Client client(url);
  client.set_read_timeout(60, 0);
  httplib::Headers headers;
  if (std::string token = address.value("token", ""); !token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Request request;
  request.method = method;
  request.path = "/client/v4/" + path;
  request.headers = headers;
  request.body = body;
  if (!content_type.empty()) request.set_header("Content-Type", content_type);
  auto answer = client.send(request);
  if (!answer) return Result<nlohmann::json>::failure("flareq dev (pid " + std::to_string(pid) + ") did not answer at " + url);
  auto envelope = nlohmann::json::parse(answer->body, nullptr, false);
  if (!envelope.is_object()) return Result<nlohmann::json>::failure("flareq dev answered " + std::to_string(answer->status));
  if (!envelope.value("success", false)) {
    auto errors = envelope.value("errors", nlohmann::json::array());
    return Result<nlohmann::json>::failure(errors.empty() ? "flareq dev answered " + std::to_string(answer->status)
                                                          : errors[0].value("message", ""));
  }
  return envelope["result"];
}

}  // namespace flareq::api
