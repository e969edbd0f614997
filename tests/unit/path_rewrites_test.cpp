// The Worker front's path rewrites (emulator/http/path_rewrites.h): the local URLs that moved
// in Miniflare 5 reach it where it serves them, and nothing else is touched.
#include "emulator/http/path_rewrites.h"

#include <gtest/gtest.h>

namespace flareq::api {
namespace {

const PathRewrites kMiniflare5 = {{"/cdn-cgi/handler", "/cdn-cgi/local"},
                                  {"/cdn-cgi/mf/scheduled", "/cdn-cgi/local/scheduled"},
                                  {"/cdn-cgi/explorer", "/cdn-cgi/local/explorer"}};

TEST(PathRewrites, TheOldLocalUrlsReachTheNewOnesWithTheirQuery) {
  EXPECT_EQ(rewrite_request_line("GET /cdn-cgi/handler/scheduled?cron=*+*+*+*+* HTTP/1.1\r\n", kMiniflare5),
            "GET /cdn-cgi/local/scheduled?cron=*+*+*+*+* HTTP/1.1\r\n");
  EXPECT_EQ(rewrite_request_line("POST /cdn-cgi/handler/email?from=a@b HTTP/1.1\r\n", kMiniflare5),
            "POST /cdn-cgi/local/email?from=a@b HTTP/1.1\r\n");
  EXPECT_EQ(rewrite_request_line("GET /cdn-cgi/mf/scheduled HTTP/1.1\r\n", kMiniflare5),
            "GET /cdn-cgi/local/scheduled HTTP/1.1\r\n");
  EXPECT_EQ(rewrite_request_line("GET /cdn-cgi/explorer HTTP/1.1\r\n", kMiniflare5),
            "GET /cdn-cgi/local/explorer HTTP/1.1\r\n");
  EXPECT_EQ(rewrite_request_line("GET /cdn-cgi/explorer/api/queues HTTP/1.1\r\n", kMiniflare5),
            "GET /cdn-cgi/local/explorer/api/queues HTTP/1.1\r\n");
}

TEST(PathRewrites, OtherPathsAndMalformedLinesAreLeftAlone) {
  for (const char* line : {"GET / HTTP/1.1\r\n", "GET /cdn-cgi/handlers HTTP/1.1\r\n",
                           "GET /cdn-cgi/explorerx/a HTTP/1.1\r\n", "GET /api/cdn-cgi/handler/scheduled HTTP/1.1\r\n",
                           "GET /cdn-cgi/local/scheduled HTTP/1.1\r\n", "GARBAGE\r\n", "GET /cdn-cgi/handler\r\n"})
    EXPECT_EQ(rewrite_request_line(line, kMiniflare5), line);
  EXPECT_EQ(rewrite_request_line("GET /cdn-cgi/handler/scheduled HTTP/1.1\r\n", {}),
            "GET /cdn-cgi/handler/scheduled HTTP/1.1\r\n");  // Miniflare 4 serves the old paths itself
}

}  // namespace
}  // namespace flareq::api
