// `gradeq-producer import` end to end: real Canvas and Moodle zips (written by python3's
// zipfile in the test), a folder of student folders and a CSV manifest go through the real
// binary into PostgreSQL and RabbitMQ, and a real grader grades them. Hostile entries (zip-slip,
// absolute paths, symbolic links, a zip bomb, oversized files, missing required files) refuse
// only their student; a damaged zip is refused whole with nothing stored; importing the same
// export again stores nothing new.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "gradeq/amqp.hpp"
#include "gradeq/docker_sandbox.hpp"
#include "gradeq/grader.hpp"
#include "gradeq/job.hpp"
#include "process.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using Outcome = testing::CommandOutcome;

// One zip entry for make_zip: a file (content), a symbolic link (content = target), or `zeros`
// bytes of zeros (a bomb).
struct ZipEntry {
  std::string name;
  std::string content;
  bool symlink = false;
  std::size_t zeros = 0;
};

using testing::slurp;

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

const fs::path kSuite = GRADEQ_SOURCE_DIR "/test-suites/python-wordfreq";

std::string student_file(const std::string& student) {
  return slurp(kSuite / "submissions" / student / "wordfreq.py");
}

class ImportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::TempDatabase();
    topology_.prefix = "gradeq-test-" + testing::unique_token();
    amqp::declare_topology(testing::amqp_url(), topology_);
    sandbox_ = new DockerSandbox();
    grader::Settings gs;
    gs.database_url = db_->url();
    gs.amqp_url = testing::amqp_url();
    gs.queue_prefix = topology_.prefix;
    gs.concurrency = 2;
    gs.grader_id = "import-e2e-" + testing::unique_token();
    gs.image_prefix = testing::env_or("GRADEQ_IMAGE_PREFIX", gs.image_prefix);
    stop_ = false;
    grader_ = new std::thread([gs] { grader::run(gs, *sandbox_, stop_); });
  }
  static void TearDownTestSuite() {
    stop_ = true;
    grader_->join();
    delete grader_;
    amqp::delete_topology(testing::amqp_url(), topology_);
    delete sandbox_;
    delete db_;
  }

  // A folder of its own and an assignment of its own (the wordfreq spec under a unique name),
  // so that tests share the grader but not their rows.
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gradeq-import-" + testing::unique_token());
    fs::create_directories(dir_ / "spec");
    fs::copy(kSuite / "expected", dir_ / "spec" / "expected", fs::copy_options::recursive);
    name_ = "wf-" + testing::unique_token();
    std::string spec = slurp(kSuite / "spec.yaml");
    auto at = spec.find("assignment: wordfreq");
    spec.replace(at, std::string("assignment: wordfreq").size(), "assignment: " + name_);
    std::ofstream(dir_ / "spec" / "spec.yaml") << spec;
    Outcome added = producer("assignment add " + (dir_ / "spec" / "spec.yaml").string());
    ASSERT_EQ(added.status, 0) << added.err;
    assignment_ = "cs101/" + name_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome producer(const std::string& args) {
    return testing::run_command("GRADEQ_DATABASE_URL='" + db_->url() + "' GRADEQ_AMQP_URL='" + testing::amqp_url() +
                                    "' GRADEQ_QUEUE_PREFIX='" + topology_.prefix + "' " GRADEQ_BINARY_DIR
                                    "/producer/gradeq-producer " + args,
                                dir_);
  }


  Outcome import(const std::string& source, const std::string& flags = "") {
    return producer("import " + assignment_ + " '" + source + "' " + flags);
  }

  // Writes a zip with python3's zipfile (deflated; symbolic links as Unix mode bits).
  fs::path make_zip(const std::string& name, const std::vector<ZipEntry>& entries) {
    fs::path zip = dir_ / name;
    std::string py = "import zipfile\nz = zipfile.ZipFile(" + quote(zip.string()) +
                     ", 'w', zipfile.ZIP_DEFLATED)\n";
    for (const auto& e : entries) {
      py += "i = zipfile.ZipInfo(bytes.fromhex('" + hex(e.name) + "').decode('utf-8'))\n"
            "i.compress_type = zipfile.ZIP_DEFLATED\ni.create_system = 3\n";
      if (e.symlink) {
        py += "i.external_attr = 0o120777 << 16\n";
      } else {
        py += "i.external_attr = 0o100644 << 16\n";
      }
      if (e.zeros) {
        py += "z.writestr(i, bytes(" + std::to_string(e.zeros) + "))\n";
      } else {
        py += "z.writestr(i, bytes.fromhex('" + hex(e.content) + "'))\n";
      }
    }
    py += "z.close()\n";
    std::ofstream(dir_ / "make_zip.py") << py;
    std::string command = "python3 '" + (dir_ / "make_zip.py").string() + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << py;
    return zip;
  }

  static std::string quote(const std::string& s) { return "bytes.fromhex('" + hex(s) + "').decode()"; }

  long count(const std::string& table_sql) { return db_->count(table_sql); }

  long submissions() {
    return db_->count(
        "SELECT count(*) FROM gradeq.submissions s JOIN gradeq.assignment_versions v ON v.id = "
        "s.assignment_version_id JOIN gradeq.assignments a ON a.id = v.assignment_id WHERE a.name = '" +
        name_ + "'");
  }
  long imports() {
    return db_->count("SELECT count(*) FROM gradeq.imports i JOIN gradeq.assignments a ON a.id = "
                      "i.assignment_id WHERE a.name = '" + name_ + "'");
  }

  // Waits for the batch with the real binary, then: student -> score.
  std::map<std::string, double> graded(const std::string& batch) {
    Outcome w = producer("wait --timeout 900 " + batch);
    EXPECT_EQ(w.status, 0) << w.err;
    pqxx::connection c(db_->url());
    pqxx::read_transaction tx(c);
    std::map<std::string, double> out;
    for (const auto& row : tx.exec_params(
             "SELECT student, score FROM gradeq.v_results WHERE assignment = $1 AND status = 'graded'", name_)) {
      out[row[0].as<std::string>()] = row[1].as<double>();
    }
    return out;
  }

  static std::string batch_of(const Outcome& r) {
    std::string id = r.out.substr(0, r.out.find('\n'));
    EXPECT_TRUE(is_uuid(id)) << "stdout: " << r.out << "\nstderr: " << r.err;
    return id;
  }

  static inline testing::TempDatabase* db_ = nullptr;
  static inline amqp::Topology topology_;
  static inline DockerSandbox* sandbox_ = nullptr;
  static inline std::atomic<bool> stop_{false};
  static inline std::thread* grader_ = nullptr;
  fs::path dir_;
  std::string name_;
  std::string assignment_;
};

TEST_F(ImportTest, CanvasZipHostileEntriesRefuseOnlyTheirStudentAndReimportStoresNothing) {
  fs::path zip = make_zip("canvas.zip", {
      {"aliceanders_101_9001_wordfreq.py", student_file("alice")},
      // late, resubmitted (the -1 suffix) and with a second file
      {"robertsbob_late_102_9002_wordfreq-1.py", student_file("bob")},
      {"robertsbob_late_102_9003_notes_v2.txt", "two files\n"},
      {"o_neil_carol_103_9004_wordfreq.py", student_file("carol")},
      // hostile
      {"slipsam_201_9101_../../evil.py", "print('escaped')\n"},
      {"slipsam_201_9102_wordfreq.py", student_file("alice")},
      {"absann_202_9103_/etc/cron.d/evil", "* * * * * root sh\n"},
      {"linklee_203_9104_wordfreq.py", "/etc/passwd", true},
      {"bombbo_204_9105_wordfreq.py", "", false, 100u << 20},
      {"bigbea_205_9106_wordfreq.py", std::string(2u << 20, '#')},
      {"missingmo_206_9107_solution.py", student_file("alice")},
      {"README.txt", "not a submission\n"},
  });
  Outcome r = import(zip.string());
  EXPECT_EQ(r.status, 5) << r.err;
  EXPECT_THAT(r.err, HasSubstr("(canvas): imported 3 (1 late), already imported 0"));
  EXPECT_THAT(r.err, HasSubstr("refused 6"));
  EXPECT_THAT(r.err, HasSubstr("refused slipsam (201): entry \"slipsam_201_9101_../../evil.py\" has a \"..\" component"));
  EXPECT_THAT(r.err, HasSubstr("refused absann (202): entry \"absann_202_9103_/etc/cron.d/evil\" has an absolute path"));
  EXPECT_THAT(r.err, HasSubstr("refused linklee (203): entry \"linklee_203_9104_wordfreq.py\" is a symbolic link"));
  EXPECT_THAT(r.err, HasSubstr("refused bombbo (204): entry \"bombbo_204_9105_wordfreq.py\" is larger than 1048576 bytes"));
  EXPECT_THAT(r.err, HasSubstr("refused bigbea (205): entry \"bigbea_205_9106_wordfreq.py\" is larger than 1048576 bytes"));
  EXPECT_THAT(r.err, HasSubstr("refused missingmo (206): missing required file wordfreq.py"));
  EXPECT_THAT(r.err, HasSubstr("not imported \"README.txt\""));
  std::string batch = batch_of(r);
  EXPECT_EQ(submissions(), 3);
  EXPECT_EQ(imports(), 3);
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.submission_files f JOIN gradeq.submissions s ON s.id = "
                  "f.submission_id WHERE s.batch_id = '" + batch + "' AND s.student = '102'"), 2)
      << "bob's two files";
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.submission_files WHERE path LIKE '%evil%'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.submissions WHERE batch_id = '" + batch + "' AND lane = 'bulk'"), 3);

  auto scores = graded(batch);
  EXPECT_EQ(scores["101"], 10);
  EXPECT_EQ(scores["102"], 9) << "bob's wordfreq-1.py was graded as wordfreq.py";
  EXPECT_EQ(scores["103"], 8);

  Outcome again = import(zip.string());
  EXPECT_EQ(again.status, 5) << again.err;
  EXPECT_THAT(again.err, HasSubstr("imported 0, already imported 3 (duplicates, nothing stored), refused 6"));
  EXPECT_THAT(again.err, HasSubstr("nothing new to grade"));
  EXPECT_EQ(again.out, "") << "no batch";
  EXPECT_EQ(submissions(), 3);
  EXPECT_EQ(imports(), 3);
}

TEST_F(ImportTest, ABombPastTheSizeCapsIsStoppedByTheRatio) {
  fs::path zip = make_zip("bomb.zip", {
      {"goodguy_301_9201_wordfreq.py", student_file("alice")},
      {"bombbo_302_9202_wordfreq.py", "", false, 100u << 20},
  });
  Outcome r = import(zip.string(), "--max-file-bytes 200000000 --max-total-bytes 200000000 --max-ratio 50");
  EXPECT_EQ(r.status, 5) << r.err;
  EXPECT_THAT(r.err, HasSubstr("refused bombbo (302): entry \"bombbo_302_9202_wordfreq.py\" decompresses to more than 50 times"));
  EXPECT_THAT(r.err, HasSubstr("imported 1"));
  EXPECT_EQ(submissions(), 1);

  // Under a per-student total smaller than the file cap, the total is what refuses it.
  Outcome total = import(zip.string(), "--max-file-bytes 200000000 --max-total-bytes 500000");
  EXPECT_EQ(total.status, 5) << total.err;
  EXPECT_THAT(total.err, HasSubstr("refused bombbo (302): the files add up to more than 500000 bytes"));
  EXPECT_THAT(total.err, HasSubstr("already imported 1"));
  EXPECT_EQ(submissions(), 1);
}

TEST_F(ImportTest, MoodleZipByParticipantFoldersWithAccentsAndOnlineText) {
  fs::path zip = make_zip("moodle.zip", {
      {"José Ramírez_1234_assignsubmission_file_/wordfreq.py", student_file("alice")},
      {"Mary_Ann O'Neil_1235_assignsubmission_file_/wordfreq.py", student_file("gina")},
      {"Mary_Ann O'Neil_1235_assignsubmission_onlinetext_/onlinetext.html", "<p>hi</p>"},
      {"Eve Evil_1236_assignsubmission_file_/../../../tmp/evil.py", "x"},
      {"Eve Evil_1236_assignsubmission_file_/wordfreq.py", student_file("alice")},
  });
  Outcome r = import(zip.string());
  EXPECT_EQ(r.status, 5) << r.err;
  EXPECT_THAT(r.err, HasSubstr("(moodle): imported 2"));
  EXPECT_THAT(r.err, HasSubstr("refused Eve Evil (1236): entry \"Eve Evil_1236_assignsubmission_file_/../../../tmp/evil.py\" has a \"..\" component"));
  EXPECT_THAT(r.err, HasSubstr("onlinetext"));
  std::string batch = batch_of(r);
  auto scores = graded(batch);
  EXPECT_EQ(scores["1234"], 10);
  EXPECT_EQ(scores["1235"], 7);
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.submission_files WHERE path = 'onlinetext.html'"), 0);

  // The grades go back to the same Moodle assignment as its offline grading worksheet, keyed by
  // the participant numbers the import stored.
  Outcome sheet = producer("export --assignment " + assignment_ + " --format moodle --moodle-id participant");
  ASSERT_EQ(sheet.status, 0) << sheet.err;
  EXPECT_THAT(sheet.out, ::testing::StartsWith("Identifier,Grade,Maximum Grade,Last modified (grade)\r\n"));
  EXPECT_THAT(sheet.out, ::testing::ContainsRegex("\r\nParticipant 1234,10,10,20[0-9-]+T[0-9:]+Z\r\n"));
  EXPECT_THAT(sheet.out, ::testing::ContainsRegex("\r\nParticipant 1235,7,10,20[0-9-]+T[0-9:]+Z\r\n"));

  Outcome again = import(zip.string(), "--format moodle");
  EXPECT_THAT(again.err, HasSubstr("imported 0, already imported 2"));
  EXPECT_EQ(submissions(), 2);
}

TEST_F(ImportTest, OnATerminalTheImportDrawsAProgressBarAndOtherwiseNone) {
  fs::path root = dir_ / "class";
  fs::copy(kSuite / "submissions", root, fs::copy_options::recursive);
  // Under script(1) the producer's stdout and stderr are a pseudo-terminal.
  const std::string inner = "GRADEQ_DATABASE_URL='" + db_->url() + "' GRADEQ_AMQP_URL='" + testing::amqp_url() +
                            "' GRADEQ_QUEUE_PREFIX='" + topology_.prefix + "' " GRADEQ_BINARY_DIR
                            "/producer/gradeq-producer import " + assignment_ + " '" + root.string() + "'";
  const std::string command = "script -qec \"" + inner + "\" /dev/null >'" + (dir_ / "tty").string() + "' 2>&1";
  int raw = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(raw)) << command;
  EXPECT_EQ(WEXITSTATUS(raw), 0) << slurp(dir_ / "tty");
  const std::string screen = slurp(dir_ / "tty");
  EXPECT_THAT(screen, HasSubstr("\r")) << "the bar is redrawn in place";
  EXPECT_THAT(screen, HasSubstr("[" + std::string(30, '#') + "]")) << screen;
  EXPECT_THAT(screen, HasSubstr("imported 6")) << "and the summary follows it";
  EXPECT_EQ(submissions(), 6);

  // Not a terminal (the other tests): the summary alone.
  fs::path other = dir_ / "again";
  fs::create_directories(other / "zed");
  fs::copy(kSuite / "submissions" / "alice", other / "zed", fs::copy_options::recursive);
  Outcome r = import(other.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("#####")));
  EXPECT_THAT(r.err, HasSubstr("imported 1"));
}

TEST_F(ImportTest, AFolderOfStudentFoldersAndAChangedFileIsANewSubmission) {
  fs::path root = dir_ / "export";
  fs::copy(kSuite / "submissions", root, fs::copy_options::recursive);
  fs::create_directories(root / "mallory");
  std::ofstream(root / "mallory" / "wordfreq.py") << student_file("alice");
  fs::create_symlink("/etc/passwd", root / "mallory" / "passwd");
  Outcome r = import(root.string());
  EXPECT_EQ(r.status, 5) << r.err;
  EXPECT_THAT(r.err, HasSubstr("(dir): imported 6"));
  EXPECT_THAT(r.err, HasSubstr("refused mallory: passwd is a symbolic link (not accepted)"));
  std::string batch = batch_of(r);
  auto scores = graded(batch);
  EXPECT_EQ(scores["alice"], 10);
  EXPECT_EQ(scores["bob"], 9);
  EXPECT_EQ(scores["frank"], 0);

  fs::remove(root / "mallory" / "passwd");
  std::ofstream(root / "bob" / "wordfreq.py") << student_file("alice");
  Outcome again = import(root.string());
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("imported 2, already imported 5"));
  EXPECT_EQ(submissions(), 8) << "bob's changed file and mallory are new";
}

TEST_F(ImportTest, CsvManifestRowsPerFileAndAMissingFileRefusesItsStudent) {
  fs::create_directories(dir_ / "files");
  std::ofstream(dir_ / "files" / "a.py") << student_file("alice");
  std::ofstream(dir_ / "files" / "notes.txt") << "notes\n";
  std::ofstream(dir_ / "files" / "d.py") << student_file("dave");
  std::ofstream(dir_ / "files" / "wordfreq.py") << student_file("carol");
  fs::create_directories(dir_ / "files" / "ann");
  std::ofstream(dir_ / "files" / "ann" / "wordfreq.py") << student_file("alice");
  std::ofstream(dir_ / "manifest.csv") << "student,path\r\n"
                                          "ann,files/ann/wordfreq.py\r\n"
                                          "ann,\"files/notes.txt\"\r\n"
                                          "carl,files/wordfreq.py\r\n"
                                          "dora,files/d.py\r\n"
                                          "ghost,files/nope.py\r\n";
  Outcome r = import((dir_ / "manifest.csv").string());
  EXPECT_EQ(r.status, 5) << r.err;
  EXPECT_THAT(r.err, HasSubstr("(csv): imported 2"));
  EXPECT_THAT(r.err, HasSubstr("refused dora: missing required file wordfreq.py"));
  EXPECT_THAT(r.err, HasSubstr("refused ghost: " + (dir_ / "manifest.csv").string() + ":6: files/nope.py: no such file"));
  std::string batch = batch_of(r);
  auto scores = graded(batch);
  EXPECT_EQ(scores["ann"], 10);
  EXPECT_EQ(scores["carl"], 8);

  std::ofstream(dir_ / "bad.csv") << "student,path\nann,\"files/a.py\n";
  Outcome bad = import((dir_ / "bad.csv").string());
  EXPECT_EQ(bad.status, 1);
  EXPECT_THAT(bad.err, HasSubstr("bad.csv:2:5: a quoted field is never closed"));
  EXPECT_EQ(submissions(), 2);
}

TEST_F(ImportTest, ADamagedZipIsRefusedWholeWithNothingStored) {
  fs::path zip = make_zip("good.zip", {
      {"aliceanders_101_9001_wordfreq.py", student_file("alice")},
      {"robertsbob_102_9002_wordfreq.py", student_file("bob")},
  });
  std::string bytes = slurp(zip);
  std::ofstream(dir_ / "truncated.zip", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  Outcome r = import((dir_ / "truncated.zip").string());
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("truncated.zip"));
  EXPECT_THAT(r.err, HasSubstr("nothing was imported"));
  EXPECT_EQ(r.out, "");

  std::ofstream(dir_ / "garbage.zip") << "this is not a zip file at all\n";
  Outcome g = import((dir_ / "garbage.zip").string());
  EXPECT_EQ(g.status, 1) << g.err;
  EXPECT_THAT(g.err, HasSubstr("not a readable zip archive"));
  EXPECT_EQ(submissions(), 0);
  EXPECT_EQ(imports(), 0);
  EXPECT_EQ(count("SELECT count(*) FROM gradeq.batches"), count("SELECT count(DISTINCT batch_id) FROM gradeq.submissions"))
      << "no empty batch left behind";
}

}  // namespace
}  // namespace gradeq
