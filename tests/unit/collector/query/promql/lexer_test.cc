#include "collector/query/promql/lexer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strata::collector::promql {
namespace {

using ::testing::ElementsAre;

// "kind:text" for every token up to and including kEof or kError.
std::vector<std::string> Lex(std::string_view input) {
  Lexer lexer(input);
  std::vector<std::string> out;
  while (true) {
    const Token t = lexer.Next();
    if (t.kind == TokenKind::kEof) {
      out.push_back("EOF");
      return out;
    }
    if (t.kind == TokenKind::kError) {
      out.push_back("ERROR@" + std::to_string(t.pos) + ":" + lexer.error());
      return out;
    }
    out.push_back(DescribeToken(t));
  }
}

TEST(PromqlLexerTest, OperatorsAndPunctuation) {
  EXPECT_THAT(Lex("+ - * / % ^ == != < <= > >= @ , ( )"),
              ElementsAre("<op:+>", "<op:->", "<op:*>", "<op:/>", "<op:%>", "<op:^>", "<op:==>",
                          "<op:!=>", "<op:<>", "<op:<=>", "<op:>>", "<op:>=>", "<op:@>", "\",\"",
                          "\"(\"", "\")\"", "EOF"));
}

TEST(PromqlLexerTest, KeywordsAreCaseInsensitive) {
  EXPECT_THAT(Lex("and OR Unless atan2 sum BY without offset bool on ignoring group_left "
                  "group_right start END"),
              ElementsAre("<op:and>", "<op:OR>", "<op:Unless>", "<op:atan2>", "<aggr:sum>", "<BY>",
                          "<without>", "<offset>", "<bool>", "<on>", "<ignoring>", "<group_left>",
                          "<group_right>", "\"start\"", "\"END\"", "EOF"));
}

TEST(PromqlLexerTest, IdentifiersAndMetricIdentifiers) {
  EXPECT_THAT(
      Lex("foo foo:bar :x _a1 infinity"),
      ElementsAre("identifier \"foo\"", "metric identifier \"foo:bar\"", "metric identifier \":x\"",
                  "identifier \"_a1\"", "identifier \"infinity\"", "EOF"));
}

TEST(PromqlLexerTest, NumbersAndDurations) {
  EXPECT_THAT(Lex("1 1.5 .5 5. 1e3 0x1F 1_000 Inf NaN 5m 1h30m 500ms 1y"),
              ElementsAre("number \"1\"", "number \"1.5\"", "number \".5\"", "number \"5.\"",
                          "number \"1e3\"", "number \"0x1F\"", "number \"1_000\"", "number \"Inf\"",
                          "number \"NaN\"", "duration \"5m\"", "duration \"1h30m\"",
                          "duration \"500ms\"", "duration \"1y\"", "EOF"));
}

TEST(PromqlLexerTest, BadNumbers) {
  EXPECT_THAT(Lex("1e"), ElementsAre("ERROR@0:bad number or duration syntax: \"1e\""));
  EXPECT_THAT(Lex("1_"), ElementsAre("ERROR@0:bad number or duration syntax: \"1_\""));
  EXPECT_THAT(Lex("5m1"), ElementsAre("ERROR@0:bad number or duration syntax: \"5m1\""));
}

TEST(PromqlLexerTest, InsideBracesWordsAreIdentifiers) {
  EXPECT_THAT(Lex("{sum=\"a\", offset!~'b', by=~`c`, inf!=\"d\"}"),
              ElementsAre("\"{\"", "identifier \"sum\"", "\"=\"", "string \"\\\"a\\\"\"", "\",\"",
                          "identifier \"offset\"", "<op:!~>", "string \"'b'\"", "\",\"",
                          "identifier \"by\"", "<op:=~>", "string \"`c`\"", "\",\"",
                          "identifier \"inf\"", "<op:!=>", "string \"\\\"d\\\"\"", "\"}\"", "EOF"));
}

TEST(PromqlLexerTest, BracketsHaveColons) {
  EXPECT_THAT(Lex("foo[5m:1m]"), ElementsAre("identifier \"foo\"", "\"[\"", "duration \"5m\"",
                                             "\":\"", "duration \"1m\"", "\"]\"", "EOF"));
  EXPECT_THAT(Lex("foo[5m::]").back(), "ERROR@7:unexpected colon ':'");
}

TEST(PromqlLexerTest, CommentsAndWhitespaceAreSkipped) {
  EXPECT_THAT(Lex("# comment\n\tfoo # trailing\r\n"), ElementsAre("identifier \"foo\"", "EOF"));
}

TEST(PromqlLexerTest, UnclosedParenAndBracketAtEnd) {
  EXPECT_THAT(Lex("(foo").back(), "ERROR@4:unclosed left parenthesis");
  EXPECT_THAT(Lex("foo[5m").back(), "ERROR@6:unclosed left bracket");
  EXPECT_THAT(Lex("foo)").back(), "ERROR@4:unexpected right parenthesis ')'");
}

TEST(PromqlLexerTest, ErrorIsSticky) {
  Lexer lexer("$ foo");
  EXPECT_EQ(lexer.Next().kind, TokenKind::kError);
  EXPECT_EQ(lexer.error(), "unexpected character: '$'");
  EXPECT_EQ(lexer.Next().kind, TokenKind::kError);
}

TEST(PromqlLexerTest, TokenPositions) {
  Lexer lexer("  foo  +\n1");
  Token t = lexer.Next();
  EXPECT_EQ(t.pos, 2u);
  EXPECT_EQ(t.end(), 5u);
  t = lexer.Next();
  EXPECT_EQ(t.pos, 7u);
  t = lexer.Next();
  EXPECT_EQ(t.pos, 9u);
  t = lexer.Next();
  EXPECT_EQ(t.kind, TokenKind::kEof);
  EXPECT_EQ(t.pos, 10u);
}

TEST(PromqlLexerTest, GoQuoteEscapes) {
  EXPECT_EQ(GoQuote("plain"), "\"plain\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(GoQuote("\n\t\r\a\b\f\v"), R"("\n\t\r\a\b\f\v")");
  EXPECT_EQ(GoQuote(std::string("\x00\x1f\x7f", 3)), R"("\x00\x1f\x7f")");
  EXPECT_EQ(GoQuote("\xff\xfe"), R"("\xff\xfe")");                                 // invalid UTF-8
  EXPECT_EQ(GoQuote("caf\xc3\xa9 \xe2\x98\xba"), "\"caf\xc3\xa9 \xe2\x98\xba\"");  // kept
  EXPECT_EQ(GoQuote("\xc2\xa0"), R"("\u00a0")");                                   // no-break space
  EXPECT_EQ(GoQuote("\xf3\xb0\x80\x80"), R"("\U000f0000")");  // private use plane
}

TEST(PromqlLexerTest, UnquoteReversesGoQuote) {
  for (const std::string& s : {std::string("plain"), std::string("a\"b\\c'd"),
                               std::string("\x00\x01\n\xff\xc3\xa9", 6), std::string("\xc2\xa0")}) {
    EXPECT_EQ(UnquoteString(GoQuote(s)), s);
  }
  EXPECT_EQ(UnquoteString("'it\\'s'"), "it's");
  EXPECT_EQ(UnquoteString("`\\n`"), "\\n");
  EXPECT_EQ(UnquoteString(R"("\101\x41\u0041\U00000041")"), "AAAA");
}

TEST(PromqlLexerTest, DecodeUtf8RejectsInvalidSequences) {
  uint32_t cp = 0;
  EXPECT_EQ(DecodeUtf8("\xc3\xa9", 0, &cp), 2u);
  EXPECT_EQ(cp, 0xE9u);
  EXPECT_EQ(DecodeUtf8("\xf0\x9f\x98\x80", 0, &cp), 4u);
  EXPECT_EQ(cp, 0x1F600u);
  EXPECT_EQ(DecodeUtf8("\xc0\x80", 0, &cp), 0u);          // overlong
  EXPECT_EQ(DecodeUtf8("\xed\xa0\x80", 0, &cp), 0u);      // surrogate
  EXPECT_EQ(DecodeUtf8("\xe2\x98", 0, &cp), 0u);          // truncated
  EXPECT_EQ(DecodeUtf8("\xf4\x90\x80\x80", 0, &cp), 0u);  // > U+10FFFF
}

TEST(PromqlLexerTest, DescribeTokenTruncatesLongLiterals) {
  Lexer lexer("12345678901234");
  EXPECT_EQ(DescribeToken(lexer.Next()), "number \"1234567890\"...");
}

}  // namespace
}  // namespace strata::collector::promql
