// The pure part of LMS imports: Canvas and Moodle naming, safe paths, the CSV manifest, digests
// and idempotency keys (core/src/lms_import.cpp), and SHA-256.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradeq/lms_import.hpp"
#include "gradeq/sha256.hpp"

namespace gradeq::lms {
namespace {

using ::testing::HasSubstr;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // 55 and 56 bytes: the length still fits in the last block, or needs one more.
  EXPECT_EQ(sha256_hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
}

TEST(CanvasName, PlainLateResubmittedAndUnderscores) {
  auto c = parse_canvas_name("doejane_12345_678901_wordfreq.py");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "doejane");
  EXPECT_FALSE(c->late);
  EXPECT_EQ(c->user_id, "12345");
  EXPECT_EQ(c->submission_id, "678901");
  EXPECT_EQ(c->file, "wordfreq.py");

  auto late = parse_canvas_name("smithjohn_late_42_9001_wordfreq-1.py");
  ASSERT_TRUE(late);
  EXPECT_TRUE(late->late);
  EXPECT_EQ(late->user_id, "42");
  EXPECT_EQ(late->file, "wordfreq-1.py");
  EXPECT_TRUE(parse_canvas_name("smithjohn_LATE_42_9001_a.py")->late);

  // Underscores in the name and in the file name stay where they belong.
  auto u = parse_canvas_name("obrien_mary_ann_7_8_my_solution_v2.py");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->name, "obrien_mary_ann");
  EXPECT_EQ(u->user_id, "7");
  EXPECT_EQ(u->submission_id, "8");
  EXPECT_EQ(u->file, "my_solution_v2.py");

  // Accents and spaces survive (names are bytes here).
  auto a = parse_canvas_name("ramírezjosé_55_66_mi programa.py");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "ramírezjosé");
  EXPECT_EQ(a->file, "mi programa.py");

  EXPECT_FALSE(parse_canvas_name("wordfreq.py"));
  EXPECT_FALSE(parse_canvas_name("doejane_12345_wordfreq.py"));
  EXPECT_FALSE(parse_canvas_name("_12_34_x.py"));
}

TEST(CanvasName, ResubmissionSuffix) {
  EXPECT_EQ(without_resubmission_suffix("wordfreq-1.py"), "wordfreq.py");
  EXPECT_EQ(without_resubmission_suffix("wordfreq-12.py"), "wordfreq.py");
  EXPECT_EQ(without_resubmission_suffix("Makefile-2"), "Makefile");
  EXPECT_EQ(without_resubmission_suffix("archive.tar-1.gz"), "archive.tar.gz");
  EXPECT_EQ(without_resubmission_suffix("wordfreq.py"), "wordfreq.py");
  EXPECT_EQ(without_resubmission_suffix("word-freq.py"), "word-freq.py");
  EXPECT_EQ(without_resubmission_suffix("-1.py"), "-1.py");
  EXPECT_EQ(without_resubmission_suffix(".bashrc-1"), ".bashrc");

  std::vector<wire::File> files{{"wordfreq-1.py", "x", false}, {"notes-1.txt", "y", false}};
  restore_required_names(files, {"wordfreq.py"});
  EXPECT_EQ(files[0].path, "wordfreq.py");
  EXPECT_EQ(files[1].path, "notes-1.txt") << "only required names are restored";

  std::vector<wire::File> both{{"wordfreq.py", "new", false}, {"wordfreq-1.py", "old", false}};
  restore_required_names(both, {"wordfreq.py"});
  EXPECT_EQ(both[1].path, "wordfreq-1.py") << "the required name is taken";
}

TEST(MoodleName, FoldersFlatNamesAccentsAndUnderscores) {
  auto m = parse_moodle_path("José Ramírez_1234_assignsubmission_file_/wordfreq.py");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->full_name, "José Ramírez");
  EXPECT_EQ(m->participant_id, "1234");
  EXPECT_EQ(m->plugin, "file");
  EXPECT_EQ(m->file, "wordfreq.py");

  auto nested = parse_moodle_path("Mary_Ann O'Neil_77_assignsubmission_file_/src/lib/util.py");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->full_name, "Mary_Ann O'Neil");
  EXPECT_EQ(nested->participant_id, "77");
  EXPECT_EQ(nested->file, "src/lib/util.py");

  auto text = parse_moodle_path("Ann Lee_5_assignsubmission_onlinetext_/onlinetext.html");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->plugin, "onlinetext");

  auto flat = parse_moodle_path("Ann Lee_5_assignsubmission_file_wordfreq.py");
  ASSERT_TRUE(flat);
  EXPECT_EQ(flat->participant_id, "5");
  EXPECT_EQ(flat->file, "wordfreq.py");

  EXPECT_FALSE(parse_moodle_path("Ann Lee/wordfreq.py"));
  EXPECT_FALSE(parse_moodle_path("doejane_12345_678901_wordfreq.py"));
}

TEST(ZipFormat, DetectedByTheEntriesNaming) {
  EXPECT_EQ(detect_zip_format({"doejane_1_2_a.py", "roebob_late_3_4_a.py"}), Format::canvas);
  EXPECT_EQ(detect_zip_format({"Jane Doe_1_assignsubmission_file_/", "Jane Doe_1_assignsubmission_file_/a.py"}),
            Format::moodle);
  EXPECT_EQ(detect_zip_format({"README.txt", "a/b.py"}), std::nullopt);
}

TEST(SafePath, RefusesWhatCouldLeaveTheSubmission) {
  EXPECT_EQ(safe_path("src/./a.py").path, "src/a.py");
  EXPECT_EQ(safe_path("src\\a.py").path, "src/a.py");
  EXPECT_EQ(safe_path("a//b").path, "a/b");
  EXPECT_EQ(safe_path("..a/b..").path, "..a/b..") << "only a whole \"..\" component is a way up";
  EXPECT_THAT(safe_path("../evil.py").problem, HasSubstr("\"..\""));
  EXPECT_THAT(safe_path("a/../../evil.py").problem, HasSubstr("\"..\""));
  EXPECT_THAT(safe_path("a\\..\\evil.py").problem, HasSubstr("\"..\""));
  EXPECT_THAT(safe_path("a/..").problem, HasSubstr("\"..\""));
  EXPECT_THAT(safe_path("/etc/passwd").problem, HasSubstr("absolute"));
  EXPECT_THAT(safe_path("C:\\x.py").problem, HasSubstr("absolute"));
  EXPECT_THAT(safe_path("a\nb").problem, HasSubstr("control"));
  EXPECT_THAT(safe_path("").problem, HasSubstr("empty"));
  EXPECT_THAT(safe_path("./").problem, HasSubstr("empty"));
}

TEST(ZipEntry, MapsToTheStudentOrSaysWhy) {
  auto t = map_zip_entry(Format::canvas, "doejane_late_12_34_wordfreq-1.py", {"wordfreq.py"});
  EXPECT_EQ(t.student, "12");
  EXPECT_EQ(t.display, "doejane (12)");
  EXPECT_EQ(t.file, "wordfreq-1.py");
  EXPECT_EQ(t.lms_submission, "34");
  EXPECT_TRUE(t.late);
  EXPECT_TRUE(t.problem.empty());

  auto slip = map_zip_entry(Format::canvas, "doejane_12_34_../../evil.py", {});
  EXPECT_EQ(slip.student, "12") << "refuses the student whose entry it is";
  EXPECT_THAT(slip.problem, HasSubstr("doejane_12_34_../../evil.py"));
  EXPECT_THAT(slip.problem, HasSubstr("\"..\""));

  auto abs = map_zip_entry(Format::moodle, "Ann Lee_5_assignsubmission_file_//etc/passwd", {});
  EXPECT_EQ(abs.student, "5");
  EXPECT_THAT(abs.problem, HasSubstr("absolute"));

  auto flat_slip = map_zip_entry(Format::moodle, "Ann Lee_5_assignsubmission_file_../x.py", {});
  EXPECT_EQ(flat_slip.student, "5");
  EXPECT_THAT(flat_slip.problem, HasSubstr("\"..\""));

  auto text = map_zip_entry(Format::moodle, "Ann Lee_5_assignsubmission_onlinetext_/onlinetext.html", {"a.py"});
  EXPECT_TRUE(text.student.empty());
  EXPECT_THAT(text.ignored, HasSubstr("onlinetext"));
  auto wanted = map_zip_entry(Format::moodle, "Ann Lee_5_assignsubmission_onlinetext_/onlinetext.html",
                              {"onlinetext.html"});
  EXPECT_EQ(wanted.student, "5");
  EXPECT_EQ(wanted.file, "onlinetext.html");

  EXPECT_THAT(map_zip_entry(Format::canvas, "../evil.py", {}).ignored, HasSubstr("not named like"));
}

TEST(Manifest, RowsQuotingAndExtraColumns) {
  auto rows = parse_manifest(
      "\xEF\xBB\xBFStudent,Name,path\r\nann,\"Lee, Ann\",ann/wordfreq.py\r\n\r\n"
      "bob,\"Bob \"\"B\"\" Roe\",\"my files/wordfreq.py\"\nann,x,ann/extra.txt",
      "m.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].student, "ann");
  EXPECT_EQ(rows[0].path, "ann/wordfreq.py");
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(rows[1].student, "bob");
  EXPECT_EQ(rows[1].path, "my files/wordfreq.py");
  EXPECT_EQ(rows[1].line, 4u);
  EXPECT_EQ(rows[2].path, "ann/extra.txt");
  EXPECT_EQ(rows[2].line, 5u);

  auto multiline = parse_manifest("student,path\nann,\"a\nb.py\"\nbob,c.py\n", "m.csv");
  ASSERT_EQ(multiline.size(), 2u);
  EXPECT_EQ(multiline[0].path, "a\nb.py");
  EXPECT_EQ(multiline[1].line, 4u);
}

TEST(Manifest, ErrorsSayWhere) {
  auto error = [](const std::string& text) {
    try {
      parse_manifest(text, "m.csv");
    } catch (const ManifestError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_THAT(error("student,file\nann,a.py\n"), HasSubstr("m.csv:1:1:"));
  EXPECT_THAT(error("student,file\nann,a.py\n"), HasSubstr("no \"path\""));
  EXPECT_THAT(error("student,path\nann,\"a.py\n"), HasSubstr("m.csv:2:5: a quoted field is never closed"));
  EXPECT_THAT(error("student,path\nann,\"a\"x.py\n"), HasSubstr("m.csv:2:8:"));
  EXPECT_THAT(error("student,path\nann,a.py,extra\n"), HasSubstr("m.csv:2:1: 3 field(s), the header has 2"));
  EXPECT_THAT(error("student,path\n,a.py\n"), HasSubstr("m.csv:2:1: an empty student"));
  EXPECT_THAT(error("student,path\nann,\n"), HasSubstr("m.csv:2:5: an empty path"));
  EXPECT_THAT(error("student,path\n"), HasSubstr("no rows"));
  EXPECT_THAT(error(""), HasSubstr("m.csv:1:1: empty"));
}

TEST(IdempotencyKey, SameFilesSameKeyAnyChangeANewOne) {
  std::vector<wire::File> a{{"a.py", "print(1)\n", false}, {"b.py", "x", false}};
  std::vector<wire::File> reordered{a[1], a[0]};
  EXPECT_EQ(files_digest(a), files_digest(reordered));
  auto changed = a;
  changed[0].content = "print(2)\n";
  EXPECT_NE(files_digest(a), files_digest(changed));
  auto renamed = a;
  renamed[0].path = "c.py";
  EXPECT_NE(files_digest(a), files_digest(renamed));
  // Path and content boundaries are part of the digest.
  EXPECT_NE(files_digest({{"ab", "c", false}}), files_digest({{"a", "bc", false}}));

  std::string d = files_digest(a);
  EXPECT_EQ(idempotency_key(Format::canvas, "12", {"9", "7", "9"}, d), "canvas:12:7,9:sha256:" + d);
  EXPECT_EQ(idempotency_key(Format::moodle, "5", {}, d), "moodle:5:sha256:" + d);
  EXPECT_EQ(idempotency_key(Format::dir, "ann", {}, d), idempotency_key(Format::csv, "ann", {}, d))
      << "a folder and a manifest of the same files are the same submission";
}

}  // namespace
}  // namespace gradeq::lms
