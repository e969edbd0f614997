// The Host and Origin rules of both ports (local_safety.h), and the request heads and chunked
// bodies the Worker front reads (request_head.h).
#include <gtest/gtest.h>

#include "emulator/http/local_safety.h"
#include "emulator/http/request_head.h"

using namespace flareq::api;

namespace {

bool refused(const ListenAddress& at, std::string_view method, std::string_view host, std::string_view origin,
             AllowedOrigins allowed = AllowedOrigins::ThisServer) {
  return foreign_request(at, method, host, origin, allowed).has_value();
}

RequestHead head_of(std::string_view text) {
  auto parsed = parse_request_head(text);
  if (!parsed) ADD_FAILURE() << parsed.why();
  return parsed ? *parsed : RequestHead{};
}

std::string refusal_of(std::string_view text) {
  return parse_request_head(text).why();
}

}  // namespace

TEST(LocalSafety, ALoopbackNameIsLocalhostOrAnAddressNeverANameThatLooksLikeOne) {
  for (const char* name : {"localhost", "::1", "127.0.0.1", "127.0.0.2", "127.255.255.254"})
    EXPECT_TRUE(is_loopback_name(name)) << name;
  for (const char* name : {"127.evil.example", "127.0.0.1.evil.example", "128.0.0.1", "0.0.0.0", "", "localhost.evil"})
    EXPECT_FALSE(is_loopback_name(name)) << name;
}

TEST(LocalSafety, HostMustBeALoopbackAddressOrTheListeningOne) {
  ListenAddress at{"127.0.0.1", 8787};
  for (auto host : {"", "localhost", "localhost:8787", "127.0.0.1:8787", "127.1.2.3", "[::1]:8787"})
    EXPECT_FALSE(refused(at, "GET", host, "")) << host;
  // A rebound name is refused, including one that merely starts like a loopback address.
  for (auto host : {"evil.example", "evil.example:8787", "127.evil.example", "127.0.0.1.nip.io", "10.0.0.5"})
    EXPECT_TRUE(refused(at, "GET", host, "")) << host;
}

TEST(LocalSafety, OnAWildcardAddressAnyIpAddressButNoNameIsAccepted) {
  ListenAddress at{"0.0.0.0", 8787};
  EXPECT_FALSE(refused(at, "GET", "192.168.1.5:8787", ""));
  EXPECT_FALSE(refused(at, "GET", "[fe80::1]:8787", ""));
  EXPECT_TRUE(refused(at, "GET", "my-laptop.local:8787", ""));
}

TEST(LocalSafety, AForeignOriginMayReadButNotChangeState) {
  ListenAddress at{"127.0.0.1", 8787};
  EXPECT_FALSE(refused(at, "GET", "127.0.0.1:8787", "https://evil.example"));
  EXPECT_TRUE(refused(at, "POST", "127.0.0.1:8787", "https://evil.example"));
  EXPECT_TRUE(refused(at, "DELETE", "127.0.0.1:8787", "null"));
  EXPECT_TRUE(refused(at, "POST", "127.0.0.1:8787", "http://127.0.0.1.evil.example:8787"));
}

TEST(LocalSafety, TheApiAcceptsOnlyItsOwnPagesTheWorkerAnyLocalPage) {
  ListenAddress at{"127.0.0.1", 8787};
  // Its own page: same port on a loopback name, or exactly the Host it was asked by.
  EXPECT_FALSE(refused(at, "POST", "127.0.0.1:8787", "http://localhost:8787"));
  EXPECT_FALSE(refused(at, "POST", "127.0.0.1:8787", "http://127.0.0.1:8787"));
  // A front end on another local port (a Vite dev server) may call the Worker, not the API.
  EXPECT_TRUE(refused(at, "POST", "127.0.0.1:8787", "http://localhost:5173"));
  EXPECT_FALSE(refused(at, "POST", "127.0.0.1:8787", "http://localhost:5173", AllowedOrigins::Local));
  EXPECT_FALSE(refused(at, "POST", "127.0.0.1:8787", "https://127.0.0.1:3000", AllowedOrigins::Local));
  EXPECT_TRUE(refused(at, "POST", "127.0.0.1:8787", "https://evil.example", AllowedOrigins::Local));
  EXPECT_TRUE(refused(at, "POST", "127.0.0.1:8787", "null", AllowedOrigins::Local));
  // On a wildcard address, a page served by this port under the address it was called by.
  ListenAddress lan{"0.0.0.0", 8787};
  EXPECT_FALSE(refused(lan, "POST", "192.168.1.5:8787", "http://192.168.1.5:8787", AllowedOrigins::Local));
  EXPECT_TRUE(refused(lan, "POST", "192.168.1.5:8787", "http://192.168.1.9:8787", AllowedOrigins::Local));
}

TEST(RequestHead, ReadsMethodTargetHostOriginAndBodyFraming) {
  std::string text = "POST /signup HTTP/1.1\r\nHost: localhost:8787\r\norigin:  http://localhost:5173 \r\n"
                     "Content-Length: 27\r\n\r\n";
  EXPECT_EQ(request_head_end(text + "{\"email\":…}"), text.size());
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\r\nHost: x\r\n"), std::string::npos);
  RequestHead head = head_of(text);
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/signup");
  EXPECT_EQ(head_of("GET /client/v4/accounts/local/queues?page=2 HTTP/1.1\r\n\r\n").target,
            "/client/v4/accounts/local/queues?page=2");
  EXPECT_EQ(head.host, "localhost:8787");
  EXPECT_EQ(head.origin, "http://localhost:5173");
  EXPECT_EQ(head.body, RequestHead::Body::Length);
  EXPECT_EQ(head.length, 27u);
  EXPECT_FALSE(head.upgrade);

  EXPECT_EQ(head_of("GET / HTTP/1.0\r\n\r\n").body, RequestHead::Body::None);
  EXPECT_EQ(head_of("PUT /x HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n").body, RequestHead::Body::Chunked);
  EXPECT_TRUE(head_of("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n").upgrade);
  EXPECT_FALSE(head_of("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n").upgrade);
}

TEST(RequestHead, AnythingAmbiguousIsRefused) {
  for (auto text : {
           "GET / HTTP/2.0\r\n\r\n",
           "GET /\r\n\r\n",
           "CONNECT example.com:443 HTTP/1.1\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
           "GET / HTTP/1.1\r\nOrigin: a\r\nOrigin: b\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
           "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
           "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
           "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
           "GET / HTTP/1.1\r\nX-A: 1\nHost: evil\r\n\r\n",
       })
    EXPECT_NE(refusal_of(text), "") << text;
}

TEST(ChunkedBody, FindsTheEndAcrossPiecesWithExtensionsAndTrailers) {
  std::string body = "4;name=value\r\nWiki\r\n5\r\npedia\r\nD\r\n in\r\n\r\nchunks\r\n0\r\nX-Trailer: 1\r\n\r\n";
  std::string next = "GET / HTTP/1.1\r\n";
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    ChunkedBody chunked;
    size_t first = chunked.scan(std::string_view(body).substr(0, cut));
    ASSERT_EQ(first, cut);
    size_t second = chunked.scan(std::string_view(body + next).substr(cut));
    EXPECT_EQ(first + second, body.size()) << "cut at " << cut;
    EXPECT_TRUE(chunked.done());
  }
}

TEST(ChunkedBody, MalformedFramingIsReported) {
  for (auto text : {"x\r\n", "4\r\nWikiXX", "4\nWiki\r\n", "0\r\n\n", "11111111111111111\r\n"}) {
    ChunkedBody chunked;
    EXPECT_EQ(chunked.scan(text), ChunkedBody::kMalformed) << text;
  }
}
