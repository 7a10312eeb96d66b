// The transcript figure: what `rwkvs stream` says on a CTC recogniser, drawn under the spectrogram.
// The reader of that JSON-lines output (segments, words, partials and summaries skipped, every
// bad input named by file and line), telling it from a keyword spotter's output, and the figure
// from a hand-written stream over synthetic audio read back: the spectrogram band pixel for pixel
// the keyword figure's, the segment tints and word bars where their times are, word texts that
// never overlap, captions cut with "...", and `rwkvs plot stream` end to end.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>

#include "frontends/audio/audio_file.h"
#include "src/plot/posteriors_file.h"
#include "src/plot/stream_figure.h"
#include "src/plot/transcript_track.h"
#include "tests/picture_check.h"
#include "tests/wav_writer.h"

using namespace rwkvs;

namespace {

constexpr double kAudioS = 3.0;

struct HandWord {
  const char* word;
  double start, end;
};

// The words of the hand-written stream: two segments, [0, 1.5] and [1.5, 2.9] s. "remarkably" and
// "extraordinary" are 0.08 s apart, much closer than their texts are wide.
const std::vector<HandWord> kSegment0 = {{"the", 0.12, 0.24}, {"cat", 0.42, 0.66}, {"sat", 0.90, 1.26}};
const std::vector<HandWord> kSegment1 = {{"on", 1.62, 1.74},
                                         {"a", 1.80, 1.83},
                                         {"remarkably", 2.00, 2.06},
                                         {"extraordinary", 2.08, 2.14},
                                         {"mat", 2.50, 2.80}};

// 3 s at 16 kHz: a 200 Hz harmonic buzz during each word, faint noise between them.
std::string write_speechlike(const std::string& dir) {
  const double sr = 16000;
  std::vector<float> s(static_cast<size_t>(sr * kAudioS));
  uint32_t state = 12345;
  for (size_t i = 0; i < s.size(); ++i) {
    const double t = static_cast<double>(i) / sr;
    state = state * 1664525u + 1013904223u;
    double v = 0.002 * (static_cast<double>(state >> 8) / (1 << 24) - 0.5);
    for (const auto* words : {&kSegment0, &kSegment1})
      for (const HandWord& w : *words)
        if (t >= w.start && t < w.end)
          for (int h = 1; h <= 6; ++h) v += 0.3 / h * std::sin(2 * M_PI * 200 * h * t);
    s[i] = static_cast<float>(v);
  }
  const std::string path = dir + "/speech.wav";
  test::write_wav(path, {}, s);
  return path;
}

std::string final_line(int index, double start, double end, const std::string& text,
                       const std::vector<HandWord>& words) {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "{\"type\":\"final\",\"segment\":%d,\"start\":%.9g,\"end\":%.9g,\"text\":\"%s\",", index,
                start, end, text.c_str());
  std::string s = std::string(buf) + "\"words\":[";
  for (size_t i = 0; i < words.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s{\"word\":\"%s\",\"start\":%.9g,\"end\":%.9g}", i ? "," : "",
                  words[i].word, words[i].start, words[i].end);
    s += buf;
  }
  return s + "]}\n";
}

constexpr const char* kCtcHeader =
    "{\"type\":\"header\",\"task\":\"ctc\",\"labels\":[\"<blank>\",\" \",\"a\",\"b\",\"c\"],"
    "\"position_s\":0.03,\"sample_rate\":16000,\"decoder\":\"greedy\","
    "\"endpoint\":{\"trailing_silence_s\":0.8,\"max_segment_s\":20}}\n";

// What `rwkvs stream` prints on a CTC recogniser for the audio above (partials in between).
std::string write_ctc_stream(const std::string& dir) {
  std::string s = kCtcHeader;
  s += "{\"type\":\"partial\",\"segment\":0,\"start\":0,\"end\":0.3,\"text\":\"th\"}\n";
  s += "{\"type\":\"partial\",\"segment\":0,\"start\":0,\"end\":0.9,\"text\":\"the ca\"}\n\n";
  s += final_line(0, 0, 1.5, "the cat sat", kSegment0);
  s += "{\"type\":\"partial\",\"segment\":1,\"start\":1.5,\"end\":2.1,\"text\":\"on a remark\"}\n";
  s += final_line(1, 1.5, 2.9, "on a remarkably extraordinary mat", kSegment1);
  s += "{\"type\":\"summary\",\"audio_s\":3,\"positions\":100,\"segments\":2,\"rtf\":0.01}\n";
  const std::string path = dir + "/speech.ctc.jsonl";
  test::write_text(path, s);
  return path;
}

// A keyword spotter's output over the same 3 s: labels short enough that the legend is no wider
// than the right-hand column's minimum, so both figures lay out the spectrogram alike.
std::string write_keyword_stream(const std::string& dir) {
  std::string s = "{\"type\":\"header\",\"labels\":[\"a\",\"b\"],\"hop_s\":0.01,\"sample_rate\":16000}\n";
  for (int i = 1; i < 300; ++i) {
    char line[96];
    std::snprintf(line, sizeof line, "{\"type\":\"frame\",\"t\":%.2f,\"p\":[0.3,0.7]}\n", i * 0.01);
    s += line;
  }
  const std::string path = dir + "/speech.kws.jsonl";
  test::write_text(path, s);
  return path;
}

StreamFigureOptions figure_size(int width, int height, const std::string& title = "") {
  StreamFigureOptions o;
  o.width = width;
  o.height = height;
  o.title = title;
  return o;
}

double x_at(const StreamFigureLayout& L, const Rect& r, double t) {
  return r.x + (t - L.time.lo) / L.time.span() * r.w;
}

bool inside(const Rect& in, const Rect& r, double slack = 0.5) {
  return r.x >= in.x - slack && r.y >= in.y - slack && r.right() <= in.right() + slack &&
         r.bottom() <= in.bottom() + slack;
}

// The smallest color distance to 'color' over the pixels of column x that overlap rows [y0, y1).
double nearest_in_column(const test::PngImage& img, double x, double y0, double y1, Rgb color) {
  double best = 1;
  for (int y = static_cast<int>(std::floor(y0)); y < static_cast<int>(std::ceil(y1)); ++y)
    best = std::min(best, test::color_distance(img.at(x, y), color));
  return best;
}

bool has_text_containing(const test::SvgDocument& svg, const std::string& part) {
  return std::any_of(svg.texts.begin(), svg.texts.end(),
                     [&](const std::string& t) { return t.find(part) != std::string::npos; });
}

// Every labelled word's text inside the panel and clear of the texts of its row.
void check_word_texts_apart(const StreamFigureLayout& L) {
  for (size_t i = 0; i < L.words.size(); ++i) {
    const TranscriptWordBox& a = L.words[i];
    CAPTURE(i);
    CHECK(a.row >= 0);
    CHECK(a.row < L.word_rows);
    CHECK(inside(L.transcript, a.bar));
    if (!a.labelled) continue;
    CHECK(inside(L.transcript, a.text));
    for (size_t j = 0; j < i; ++j) {
      const TranscriptWordBox& b = L.words[j];
      if (!b.labelled || b.row != a.row) continue;
      CAPTURE(j);
      CHECK((a.text.x >= b.text.right() || b.text.x >= a.text.right()));
    }
  }
}

}  // namespace

TEST_CASE("CTC stream file: header, final segments with words; partials and summary skipped") {
  const std::string dir = test::temp_dir("plot_transcript_read");
  const std::string path = write_ctc_stream(dir);
  CHECK(stream_output_kind(path) == StreamOutputKind::ctc);
  const TranscriptTrack t = read_transcript(path);
  CHECK(t.labels == std::vector<std::string>{"<blank>", " ", "a", "b", "c"});
  CHECK(t.position_s == 0.03);
  CHECK(t.sample_rate == 16000);
  CHECK(t.decoder == "greedy");
  REQUIRE(t.segments.size() == 2);
  CHECK(t.words() == 8);
  CHECK(t.segments[0].index == 0);
  CHECK(t.segments[0].start == 0);
  CHECK(t.segments[0].end == 1.5);
  CHECK(t.segments[0].text == "the cat sat");
  CHECK(t.segments[1].index == 1);
  CHECK(t.segments[1].start == 1.5);
  CHECK(t.segments[1].end == 2.9);
  CHECK(t.segments[1].text == "on a remarkably extraordinary mat");
  for (const auto& [seg, want] :
       {std::pair{&t.segments[0], &kSegment0}, std::pair{&t.segments[1], &kSegment1}}) {
    REQUIRE(seg->words.size() == want->size());
    for (size_t i = 0; i < want->size(); ++i) {
      CAPTURE(i);
      CHECK(seg->words[i].word == (*want)[i].word);
      CHECK(seg->words[i].start == (*want)[i].start);
      CHECK(seg->words[i].end == (*want)[i].end);
    }
  }

  // A header with only the task, a final with no "words" and an empty text, words a hair (less
  // than 1e-6 s) outside the segment.
  test::write_text(path,
                   "{\"type\":\"header\",\"task\":\"ctc\"}\n"
                   "{\"type\":\"final\",\"segment\":4,\"start\":1,\"end\":2,\"text\":\"\"}\n"
                   "{\"type\":\"final\",\"segment\":5,\"start\":2,\"end\":3,\"text\":\"x y\",\"words\":["
                   "{\"word\":\"x\",\"start\":1.9999995,\"end\":2.5},"
                   "{\"word\":\"y\",\"start\":2.5,\"end\":3.0000005}]}\n");
  const TranscriptTrack bare = read_transcript(path);
  CHECK(bare.labels.empty());
  CHECK(bare.position_s == 0);
  CHECK(bare.decoder.empty());
  REQUIRE(bare.segments.size() == 2);
  CHECK(bare.segments[0].index == 4);
  CHECK(bare.segments[0].words.empty());
  CHECK(bare.segments[1].words.size() == 2);

  // Telling the two kinds of stream output apart; only the header decides.
  CHECK(stream_output_kind(write_keyword_stream(dir)) == StreamOutputKind::keywords);
  test::write_text(dir + "/junk.jsonl", "\n  \nnot json\n");
  CHECK(stream_output_kind(dir + "/junk.jsonl") == StreamOutputKind::keywords);
  test::write_text(dir + "/other.jsonl", "{\"type\":\"header\",\"task\":\"kws\",\"labels\":[\"a\"]}\n");
  CHECK(stream_output_kind(dir + "/other.jsonl") == StreamOutputKind::keywords);
  const std::string missing = test::error_of([&] { stream_output_kind(dir + "/none.jsonl"); });
  CHECK_MESSAGE(missing.find(dir + "/none.jsonl") != std::string::npos, missing);
  // The keyword reader says what a CTC stream is instead of asking for hop_s.
  const std::string kws = test::error_of([&] { read_posteriors(write_ctc_stream(dir)); });
  CHECK_MESSAGE(kws.find(":1: a CTC recogniser's stream") != std::string::npos, kws);
}

TEST_CASE("CTC stream file errors name the file and line") {
  const std::string dir = test::temp_dir("plot_transcript_errors");
  const std::string path = dir + "/bad.jsonl";
  const std::string header = kCtcHeader;
  const auto final_with = [](const std::string& fields) { return "{\"type\":\"final\"," + fields + "}\n"; };
  const std::string ok_fields = "\"segment\":0,\"start\":1,\"end\":2,\"text\":\"hi\"";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {final_with(ok_fields), ":1: the first record must be the header"},
      {header + "not json\n", ":2: not a JSON object"},
      {header + "\n" + "{\"segment\":0}\n", ":3: no string \"type\""},
      {header + header, ":2: a second header"},
      {"{\"type\":\"header\",\"labels\":[\"a\"],\"hop_s\":0.01}\n", ":1: the header's \"task\" is missing"},
      {"{\"type\":\"header\",\"task\":\"kws\"}\n", ":1: the header's \"task\" is \"kws\", expected \"ctc\""},
      {"{\"type\":\"header\",\"task\":\"ctc\",\"position_s\":0}\n",
       ":1: the header's position_s must be positive"},
      {"{\"type\":\"header\",\"task\":\"ctc\",\"sample_rate\":\"16k\"}\n",
       ":1: 'sample_rate' of the header is not a number"},
      {"{\"type\":\"header\",\"task\":\"ctc\",\"labels\":[\"a\",3]}\n", ":1: header label 3 is not a string"},
      {"{\"type\":\"header\",\"task\":\"ctc\",\"decoder\":1}\n",
       ":1: the header's \"decoder\" is not a string"},
      {header + final_with("\"start\":1,\"end\":2,\"text\":\"hi\""), ":2: final needs \"segment\""},
      {header + final_with("\"segment\":-1,\"start\":1,\"end\":2,\"text\":\"hi\""),
       ":2: final needs \"segment\": a non-negative integer (got -1)"},
      {header + final_with("\"segment\":0,\"end\":2,\"text\":\"hi\""), ":2: missing 'start' in the final"},
      {header + final_with("\"segment\":0,\"start\":1,\"text\":\"hi\""), ":2: missing 'end' in the final"},
      {header + final_with("\"segment\":0,\"start\":1,\"end\":\"later\",\"text\":\"hi\""),
       ":2: 'end' of the final is not a number (\"later\")"},
      {header + final_with("\"segment\":0,\"start\":null,\"end\":2,\"text\":\"hi\""),
       ":2: 'start' of the final is not a number (null)"},
      {header + final_with("\"segment\":3,\"start\":2,\"end\":1,\"text\":\"hi\""),
       ":2: segment 3 ends (1 s) before it starts (2 s)"},
      {header + final_with("\"segment\":0,\"start\":1,\"end\":2,\"text\":5"),
       ":2: final needs a string \"text\" (got 5)"},
      {header + final_with("\"segment\":0,\"start\":1,\"end\":2"), ":2: final needs a string \"text\""},
      {header + final_with(ok_fields + ",\"words\":{}"), ":2: final's \"words\" is not an array"},
      {header + final_with(ok_fields + ",\"words\":[7]"), ":2: word 0 is not an object"},
      {header + final_with(ok_fields + ",\"words\":[{\"start\":1,\"end\":2}]"),
       ":2: word 0 has no string \"word\""},
      {header + final_with(ok_fields + ",\"words\":[{\"word\":\"hi\",\"end\":2}]"),
       ":2: missing 'start' in word 0 ('hi')"},
      {header + final_with(ok_fields + ",\"words\":[{\"word\":\"hi\",\"start\":1.2,\"end\":1.1}]"),
       ":2: word 0 ('hi') ends (1.1 s) before it starts (1.2 s)"},
      {header + "\n" +
           final_with(ok_fields + ",\"words\":[{\"word\":\"h\",\"start\":1,\"end\":1.5},"
                                  "{\"word\":\"i\",\"start\":1.5,\"end\":2.01}]"),
       ":3: word 1 ('i') spans [1.5, 2.01] s, outside its segment's [1, 2] s"},
      {header + final_with(ok_fields + ",\"words\":[{\"word\":\"hi\",\"start\":0.999998,\"end\":1.5}]"),
       ":2: word 0 ('hi') spans"},
      {"\n\n", "is empty"},
  };
  for (const auto& [text, want] : cases) {
    CAPTURE(text);
    test::write_text(path, text);
    const std::string err = test::error_of([&] { read_transcript(path); });
    CHECK_MESSAGE(err.find(want) != std::string::npos, err);
    CHECK_MESSAGE(err.find(path) != std::string::npos, err);
  }
  const std::string unreadable = test::error_of([&] { read_transcript(dir + "/none.jsonl"); });
  CHECK_MESSAGE(unreadable.find("cannot open") != std::string::npos, unreadable);
  CHECK_MESSAGE(unreadable.find(dir + "/none.jsonl") != std::string::npos, unreadable);
}

TEST_CASE("transcript figure: the keyword figure's spectrogram, segment spans, word bars and texts") {
  const std::string dir = test::temp_dir("plot_transcript_figure");
  const Audio audio = read_audio_file(write_speechlike(dir));
  const TranscriptTrack track = read_transcript(write_ctc_stream(dir));
  const StreamFigureLayout L = plot_stream_figure(audio, track, dir + "/t.png", figure_size(1100, 640));
  const StreamFigureLayout K = plot_stream_figure(audio, read_posteriors(write_keyword_stream(dir)),
                                                  dir + "/k.png", figure_size(1100, 640));
  CHECK(test::png_header_size(test::read_text(dir + "/t.png")) == std::pair{1100, 640});
  const test::PngImage img = test::read_png(dir + "/t.png"), kimg = test::read_png(dir + "/k.png");
  REQUIRE(img.width == 1100);
  REQUIRE(kimg.width == 1100);
  const Rect& sp = L.spectrogram;
  const Rect& tr = L.transcript;

  // Both figures put the spectrogram and the panel under it in the same places, over the same time.
  CHECK(L.time.lo == K.time.lo);
  CHECK(L.time.hi == doctest::Approx(kAudioS));
  CHECK(L.time.hi == K.time.hi);
  for (const auto& [a, b] : {std::pair{sp, K.spectrogram}, std::pair{tr, K.posteriors}}) {
    CHECK(a.x == b.x);
    CHECK(a.y == b.y);
    CHECK(a.w == b.w);
    CHECK(a.h == b.h);
  }
  CHECK(tr.w > 0);
  CHECK(tr.y > sp.bottom());
  CHECK(L.posteriors.w == 0);  // a transcript figure has no posterior panel
  // The spectrogram band (panel, frequency labels, color bar) is the keyword figure's, pixel for
  // pixel; the band is not blank and the panels underneath do differ, so the comparison can fail.
  long differing = 0, first_x = -1, first_y = -1;
  for (int y = static_cast<int>(sp.y) - 2; y <= static_cast<int>(sp.bottom()) + 2; ++y)
    for (int x = 0; x < img.width; ++x)
      if (img.pixels[static_cast<size_t>(y * img.width + x)] !=
              kimg.pixels[static_cast<size_t>(y * img.width + x)] &&
          differing++ == 0) {
        first_x = x;
        first_y = y;
      }
  CHECK_MESSAGE(differing == 0,
                differing << " pixels differ, the first at (" << first_x << ", " << first_y << ")");
  // The buzz of the words lights the lower half of the spectrogram; the gaps between them do not.
  const auto low_half_luminance = [&](double t) {
    double sum = 0;
    int n = 0;
    for (int y = static_cast<int>(sp.y + sp.h / 2); y < static_cast<int>(sp.bottom()) - 2; ++y, ++n)
      sum += test::luminance(img.at(x_at(L, sp, t), y));
    return sum / n;
  };
  CHECK(low_half_luminance(0.54) > low_half_luminance(0.33) + 0.15);
  CHECK(low_half_luminance(2.65) > low_half_luminance(2.30) + 0.15);
  long lower_differing = 0;
  for (int y = static_cast<int>(tr.y); y < static_cast<int>(tr.bottom()); ++y)
    for (int x = static_cast<int>(tr.x); x < static_cast<int>(tr.right()); ++x)
      lower_differing += img.at(x, y).r != kimg.at(x, y).r;
  CHECK(lower_differing > 1000);

  // One box per segment and word, in order.
  REQUIRE(L.segments.size() == 2);
  REQUIRE(L.words.size() == 8);
  REQUIRE(L.segment_colors.size() == 2);
  CHECK(L.word_rows >= 2);
  CHECK(L.word_rows <= 3);
  CHECK(L.captions);

  // The segment tints over the white panel where their spans are, between the label row and the
  // word rows, and white after the last segment's end.
  const double first_bar_y =
      std::min_element(L.words.begin(), L.words.end(), [](const auto& a, const auto& b) {
        return a.bar.y < b.bar.y;
      })->bar.y;
  const double probe_y = (tr.y + first_bar_y) / 2 + 3;
  const Rgb tint0 = blend(kWhite, L.segment_colors[0], L.segment_alpha),
            tint1 = blend(kWhite, L.segment_colors[1], L.segment_alpha);
  CHECK(test::color_distance(tint0, tint1) > 0.04);
  CHECK(test::color_distance(img.at(x_at(L, tr, 0.33), probe_y), tint0) < 3.0 / 255);
  CHECK(test::color_distance(img.at(x_at(L, tr, 2.33), probe_y), tint1) < 3.0 / 255);
  CHECK(test::color_distance(img.at(x_at(L, tr, 2.95), probe_y), kWhite) < 3.0 / 255);
  CHECK(L.segments[0].span.x == doctest::Approx(tr.x));
  CHECK(L.segments[1].span.x == doctest::Approx(x_at(L, tr, 1.5)));
  CHECK(L.segments[1].span.right() == doctest::Approx(x_at(L, tr, 2.9)));
  CHECK(L.segments[0].label == "segment 0");
  CHECK(L.segments[1].label == "segment 1");
  CHECK(L.segments[0].caption == "the cat sat");
  CHECK(L.segments[1].caption == "on a remarkably extraordinary mat");
  for (const TranscriptSegmentBox& b : L.segments) CHECK(inside(tr, b.caption_box));

  // Each word's bar over its [start, end] in the word color; none at the gap between words.
  std::vector<HandWord> all = kSegment0;
  all.insert(all.end(), kSegment1.begin(), kSegment1.end());
  for (size_t i = 0; i < all.size(); ++i) {
    const TranscriptWordBox& w = L.words[i];
    CAPTURE(all[i].word);
    CHECK(w.segment == (i < kSegment0.size() ? 0 : 1));
    CHECK(w.labelled);
    CHECK(w.bar.x == doctest::Approx(x_at(L, tr, all[i].start)));
    CHECK(w.bar.right() == doctest::Approx(x_at(L, tr, all[i].end)));
    CHECK(nearest_in_column(img, (w.bar.x + w.bar.right()) / 2, w.bar.y, w.bar.bottom(), L.word_color) <
          0.05);
    CHECK(nearest_in_column(img, x_at(L, tr, all[i].start) + 1.5, w.bar.y, w.bar.bottom(), L.word_color) <
          0.05);
    CHECK(nearest_in_column(img, x_at(L, tr, all[i].start) - 2.5, w.bar.y, w.bar.bottom(), L.word_color) >
          0.3);
    CHECK(nearest_in_column(img, x_at(L, tr, all[i].end) + 2.5, w.bar.y, w.bar.bottom(), L.word_color) > 0.3);
    // The text sits at the bar: centred on it, under it, and drawn in ink.
    CHECK((w.text.x + w.text.right()) / 2 == doctest::Approx((w.bar.x + w.bar.right()) / 2).epsilon(0.001));
    CHECK(w.text.y >= w.bar.bottom());
    CHECK(w.text.y < w.bar.bottom() + 4);
    double darkest = 1;
    for (double y = w.text.y; y < w.text.bottom(); ++y)
      for (double x = w.text.x; x < w.text.right(); ++x)
        darkest = std::min(darkest, test::luminance(img.at(x, y)));
    CHECK(darkest < 0.6);
  }
  for (double gap : {0.33, 0.78, 1.40, 1.55, 2.30, 2.86})
    for (const TranscriptWordBox& w : L.words) {
      CAPTURE(gap);
      CHECK(nearest_in_column(img, x_at(L, tr, gap), w.bar.y, w.bar.bottom(), L.word_color) > 0.3);
    }
  // The two close words with long texts went to different rows; texts in one row never overlap.
  CHECK(L.words[5].row != L.words[6].row);
  check_word_texts_apart(L);

  // The SVG carries every word, the segment labels, the captions and the summary as text.
  plot_stream_figure(audio, track, dir + "/t.svg", figure_size(1100, 640, "speech"));
  const test::SvgDocument svg = test::read_svg(dir + "/t.svg");
  INFO(svg.error);
  REQUIRE(svg.well_formed);
  CHECK(svg.width == "1100px");
  for (const char* label :
       {"speech", "time (s)", "Log-mel spectrogram", "frequency (Hz, mel scale)", "0 dB",
        "Transcript: final segments and word timings", "segment 0", "segment 1", "the", "cat", "sat", "on",
        "a", "remarkably", "extraordinary", "mat", "the cat sat", "on a remarkably extraordinary mat"}) {
    CAPTURE(label);
    CHECK(svg.has_text(label));
  }
  CHECK(has_text_containing(svg, "3.00 s at 16000 Hz"));
  CHECK(has_text_containing(svg, "2 segments, 8 words"));
  CHECK(has_text_containing(svg, "greedy decoder"));
  CHECK(!has_text_containing(svg, "posterior"));
}

TEST_CASE("transcript figure: crowded words keep their bars, texts never overlap, captions cut with ...") {
  const std::string dir = test::temp_dir("plot_transcript_crowded");
  Audio audio;
  audio.sample_rate = 16000;
  audio.samples.assign(32000, 0.0f);
  for (size_t i = 0; i < audio.samples.size(); ++i)
    audio.samples[i] = static_cast<float>(0.2 * std::sin(2 * M_PI * 440 * static_cast<double>(i) / 16000));
  TranscriptTrack track;
  TranscriptSegment dense{.index = 0, .start = 0.1, .end = 1.1, .text = "", .words = {}};
  for (int k = 0; k < 40; ++k) {
    const std::string w = "wordnumber" + std::to_string(k);
    dense.words.push_back({w, 0.1 + 0.025 * k, 0.1 + 0.025 * k + 0.02});
    dense.text += (k ? " " : "") + w;
  }
  track.segments.push_back(dense);
  track.segments.push_back(
      {.index = 7, .start = 1.2, .end = 1.26, .text = "x", .words = {{"x", 1.21, 1.25}}});
  const std::string long_text =
      "a very long sentence that cannot possibly fit into this short span of time at all";
  track.segments.push_back({.index = 8, .start = 1.3, .end = 1.9, .text = long_text, .words = {}});
  const StreamFigureLayout L = plot_stream_figure(audio, track, dir + "/c.png", figure_size(600, 400));

  REQUIRE(L.words.size() == 41);
  CHECK(L.word_rows == 3);
  const auto labelled =
      std::count_if(L.words.begin(), L.words.end(), [](const auto& w) { return w.labelled; });
  CHECK(labelled >= 3);
  CHECK(labelled < 40);  // 40 texts far wider than 0.025 s cannot all be written
  check_word_texts_apart(L);
  // An unlabelled word still has its bar.
  const test::PngImage img = test::read_png(dir + "/c.png");
  for (const TranscriptWordBox& w : L.words)
    if (!w.labelled) {
      CHECK(nearest_in_column(img, (w.bar.x + w.bar.right()) / 2, w.bar.y, w.bar.bottom(), L.word_color) <
            0.08);
      break;
    }

  REQUIRE(L.segments.size() == 3);
  CHECK(L.segments[0].label == "segment 0");
  CHECK(L.segments[1].label == "7");  // "segment 7" is wider than 0.06 s
  CHECK(L.captions);
  const std::string& cut = L.segments[2].caption;
  REQUIRE(cut.size() > 3);
  CHECK(cut.size() < long_text.size());
  CHECK(cut.substr(cut.size() - 3) == "...");
  CHECK(long_text.rfind(cut.substr(0, cut.size() - 3), 0) == 0);
  CHECK(cut[cut.size() - 4] != ' ');
  CHECK(L.segments[2].caption_box.right() <= L.segments[2].span.right());
  const std::string& dense_cut = L.segments[0].caption;
  REQUIRE(dense_cut.size() > 3);
  CHECK(dense_cut.substr(dense_cut.size() - 3) == "...");

  // An empty transcript still draws the spectrogram and an empty panel.
  const StreamFigureLayout E =
      plot_stream_figure(audio, TranscriptTrack{}, dir + "/e.png", figure_size(400, 300));
  CHECK(E.segments.empty());
  CHECK(E.words.empty());
  CHECK(E.transcript.h > 0);
}

TEST_CASE("rwkvs plot stream: a CTC stream through the CLI, its summary line, errors") {
  const std::string dir = test::temp_dir("plot_transcript_cli");
  const std::string wav = write_speechlike(dir), ctc = write_ctc_stream(dir), kws = write_keyword_stream(dir);
  std::string out;
  REQUIRE(test::run(
              test::cli() + " plot stream '" + wav + "' --posteriors '" + ctc + "' --out '" + dir + "/t.png'",
              &out) == 0);
  CHECK(out.find("wrote " + dir + "/t.png (1400x800): 3.00 s of audio, 2 segments, 8 words\n") !=
        std::string::npos);
  CHECK(test::png_header_size(test::read_text(dir + "/t.png")) == std::pair{1400, 800});

  // One segment with one word: no plural.
  test::write_text(dir + "/one.jsonl",
                   std::string(kCtcHeader) + final_line(0, 0.5, 1.0, "cat", {{"cat", 0.6, 0.9}}));
  REQUIRE(test::run(test::cli() + " plot stream '" + wav + "' --posteriors '" + dir + "/one.jsonl' --out '" +
                        dir + "/one.svg' --width 800 --height 500",
                    &out) == 0);
  CHECK(out.find("wrote " + dir + "/one.svg (800x500): 3.00 s of audio, 1 segment, 1 word\n") !=
        std::string::npos);
  const test::SvgDocument svg = test::read_svg(dir + "/one.svg");
  CHECK(svg.well_formed);
  CHECK(svg.has_text("segment 0"));

  // The keyword spotter's output still draws its posteriors.
  REQUIRE(test::run(
              test::cli() + " plot stream '" + wav + "' --posteriors '" + kws + "' --out '" + dir + "/k.png'",
              &out) == 0);
  CHECK(out.find("299 posterior frames") != std::string::npos);

  REQUIRE(test::run(test::cli() + " plot stream --help", &out) == 0);
  CHECK(out.find("CTC") != std::string::npos);

  // A bad CTC stream: exit 1, one "error:" line naming the file and line, nothing written.
  test::write_text(
      dir + "/bad.jsonl",
      std::string(kCtcHeader) + "{\"type\":\"final\",\"segment\":0,\"start\":2,\"end\":1,\"text\":\"\"}\n");
  CHECK(test::run(test::cli() + " plot stream '" + wav + "' --posteriors '" + dir + "/bad.jsonl' --out '" +
                      dir + "/x.png'",
                  &out) == 1);
  CHECK(out.rfind("error:", 0) == 0);
  CHECK(out.find("bad.jsonl:2:") != std::string::npos);
  CHECK(!std::ifstream(dir + "/x.png").good());
  CHECK(test::run(test::cli() + " plot stream '" + wav + "' --posteriors '" + dir + "/none.jsonl' --out '" +
                      dir + "/x.png'",
                  &out) == 1);
  CHECK(out.find("none.jsonl") != std::string::npos);
}
