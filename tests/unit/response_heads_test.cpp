// ResponseHeads: each response's status found in the runtime's bytes, whatever their framing
// and however the bytes are cut.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "emulator/http/response_heads.h"

using namespace flareq::api;

namespace {

// The statuses found in `bytes` fed in pieces of `piece` bytes; `head_requests` answer HEADs.
std::vector<std::string> statuses(const std::string& bytes, size_t piece, std::vector<bool> head_requests = {}) {
  std::vector<std::string> found;
  ResponseHeads heads([&](const ResponseHead& h) {
    found.push_back(std::to_string(h.status) + " " + h.reason);
    size_t i = found.size() - 1;
    return i < head_requests.size() && head_requests[i];
  });
  for (size_t at = 0; at < bytes.size(); at += piece) heads.feed(std::string_view(bytes).substr(at, piece));
  return found;
}

const std::string kKeepAlive =
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnope\r\n0\r\nX-Trailer: 1\r\n\r\n"
    "HTTP/1.1 204 No Content\r\n\r\n"
    "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n"
    "HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 3\r\n\r\n\r\n\r";

}  // namespace

TEST(ResponseHeads, FindsEachResponseOnAKeepAliveConnectionHoweverTheBytesAreCut) {
  const std::vector<std::string> expected = {"200 OK", "404 Not Found", "204 No Content", "500 Internal Server Error",
                                             "302 Found"};
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}, kKeepAlive.size()})
    EXPECT_EQ(statuses(kKeepAlive, piece), expected) << "pieces of " << piece;
}

TEST(ResponseHeads, AHeadRequestsAnswerHasNoBodyWhateverItsContentLength) {
  std::string bytes = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(statuses(bytes, 5, {true}), (std::vector<std::string>{"200 OK", "201 Created"}));
}

TEST(ResponseHeads, StopsAfterAnUpgradeABodyUntilCloseOrWhatItCannotFollow) {
  std::string upgrade = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
  EXPECT_EQ(statuses(upgrade, 4), std::vector<std::string>{"101 Switching Protocols"});
  std::string until_close = "HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 500 x\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(statuses(until_close, 9), std::vector<std::string>{"200 OK"});
  std::string garbage = "NOT HTTP\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  EXPECT_TRUE(statuses(garbage, 3).empty());
  std::string bad_length = "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  EXPECT_TRUE(statuses(bad_length, 3).empty());
  std::string huge_head = "HTTP/1.1 200 OK\r\nX: " + std::string(70000, 'a') + "\r\n\r\n";
  EXPECT_TRUE(statuses(huge_head, 4096).empty());
  std::string no_reason = "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(statuses(no_reason, 1), std::vector<std::string>{"200 "});
}
