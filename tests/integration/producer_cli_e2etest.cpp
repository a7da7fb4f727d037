// gradeq-producer as people and scripts use it: the real binary, its exit codes and messages,
// against a database of its own and the real broker (or an unreachable one).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <pqxx/pqxx>

#include "gradeq/amqp.hpp"
#include "gradeq/job.hpp"
#include "process.hpp"
#include "support.hpp"

namespace gradeq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using Outcome = testing::CommandOutcome;

class ProducerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("gradeq-cli-" + testing::unique_token());
    fs::create_directories(dir);
    topology.prefix = "gradeq-test-" + testing::unique_token();
  }
  void TearDown() override {
    amqp::delete_topology(testing::amqp_url(), topology);
    fs::remove_all(dir);
  }

  Outcome producer(const std::string& args, const std::string& amqp = testing::amqp_url()) {
    return testing::run_command("GRADEQ_DATABASE_URL='" + db.url() + "' GRADEQ_AMQP_URL='" + amqp +
                                    "' GRADEQ_QUEUE_PREFIX='" + topology.prefix + "' " GRADEQ_BINARY_DIR
                                    "/producer/gradeq-producer " + args,
                                dir);
  }

  std::string suite(const std::string& name) { return GRADEQ_SOURCE_DIR "/test-suites/" + name; }

  testing::TempDatabase db;
  amqp::Topology topology;
  fs::path dir;
};

TEST_F(ProducerCliTest, AnInvalidSpecExitsOneNamingEveryProblemAndStoresNothing) {
  std::ofstream(dir / "spec.yaml") << "course: cs101\nassignment: x\nlanguage: python\nfiles: [a.py]\n"
                                      "run: python3 a.py\nlimits: {timout: 2}\ntests:\n"
                                      "  - name: t\n    expect_stdout: x\n    compare: fuzzy\n";
  Outcome r = producer("assignment add " + (dir / "spec.yaml").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("spec.yaml:6:10: unknown key \"timout\" (did you mean \"time_s\"?)"));
  EXPECT_THAT(r.err, HasSubstr("spec.yaml:10:14:"));
  EXPECT_THAT(r.err, HasSubstr("nothing was stored"));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.assignment_versions"), 0);
}

TEST_F(ProducerCliTest, AddingTheSameSpecTwiceKeepsOneVersion) {
  Outcome first = producer("assignment add " + suite("c-rpn") + "/spec.yaml");
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("cs101/rpn version 1 stored"));
  Outcome second = producer("assignment add " + suite("c-rpn") + "/spec.yaml");
  EXPECT_EQ(second.status, 0);
  EXPECT_THAT(second.out, HasSubstr("cs101/rpn version 1 unchanged"));
}

TEST_F(ProducerCliTest, ABrokerThatIsDownIsExitTwoAndRepublishRecovers) {
  ASSERT_EQ(producer("assignment add " + suite("python-wordfreq") + "/spec.yaml").status, 0);
  Outcome r = producer("submit --assignment cs101/wordfreq --student ann " + suite("python-wordfreq") +
                       "/solution/wordfreq.py",
                   "amqp://guest:guest@127.0.0.1:1/%2f");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("stored but their jobs were not published"));
  EXPECT_THAT(r.err, HasSubstr("republish"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("guest:guest"))) << "no password in messages";
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions WHERE status = 'queued'"), 1);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.jobs WHERE published_at IS NULL"), 1)
      << "the job is in the outbox, unpublished";

  Outcome again = producer("republish");
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("republished 1 job(s)"));
  EXPECT_EQ(amqp::queue_depth(testing::amqp_url(), topology.interactive()), 1u);
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.jobs WHERE published_at IS NULL"), 0);
}

TEST_F(ProducerCliTest, TheSweeperPublishesWhatAProducerLeftUnpublished) {
  ASSERT_EQ(producer("assignment add " + suite("python-wordfreq") + "/spec.yaml").status, 0);
  // The producer's crash window: stored, never published (here the broker was unreachable).
  Outcome r = producer("--publish-retry 0 submit --assignment cs101/wordfreq --student bo " +
                           suite("python-wordfreq") + "/solution/wordfreq.py",
                       "amqp://guest:guest@127.0.0.1:1/%2f");
  ASSERT_EQ(r.status, 2) << r.err;
  Outcome early = producer("sweep --grace 60");
  EXPECT_EQ(early.status, 0) << early.err;
  EXPECT_THAT(early.out, HasSubstr("published 0 unpublished job(s)")) << "within the grace period";
  Outcome sweep = producer("sweep --grace 0");
  EXPECT_EQ(sweep.status, 0) << sweep.err;
  EXPECT_THAT(sweep.out, HasSubstr("published 1 unpublished job(s)"));
  EXPECT_EQ(amqp::queue_depth(testing::amqp_url(), topology.interactive()), 1u);
  EXPECT_EQ(producer("sweep --grace 0").out.find("published 0 unpublished"), 0u) << "once";
}

TEST_F(ProducerCliTest, SubmitBatchPrintsTheBatchAndWaitTimesOutWithoutAGrader) {
  ASSERT_EQ(producer("assignment add " + suite("cpp-matrix") + "/spec.yaml").status, 0);
  Outcome batch = producer("submit-batch --assignment cs101/matrix " + suite("cpp-matrix") + "/submissions");
  ASSERT_EQ(batch.status, 0) << batch.err;
  std::string id = batch.out.substr(0, batch.out.find('\n'));
  EXPECT_TRUE(is_uuid(id)) << batch.out;
  EXPECT_EQ(amqp::queue_depth(testing::amqp_url(), topology.bulk()), 6u);
  Outcome waited = producer("wait --timeout 1 " + id);
  EXPECT_EQ(waited.status, 4);
  EXPECT_THAT(waited.err, HasSubstr("0/6 done"));
  Outcome book = producer("gradebook --batch " + id);
  EXPECT_EQ(book.status, 0);
  EXPECT_THAT(book.out, HasSubstr("alice    cs101/matrix  queued"));
}

TEST_F(ProducerCliTest, UnknownAssignmentsAndBatchesAreInputErrors) {
  Outcome r = producer("submit --assignment cs101/nope --student ann " + suite("c-rpn") + "/solution/rpn.c");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("no assignment cs101/nope"));
  Outcome w = producer("wait 6f1c2a34-0000-4000-8000-000000000001");
  EXPECT_EQ(w.status, 1);
  EXPECT_THAT(w.err, HasSubstr("no batch"));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions"), 0);
}

TEST_F(ProducerCliTest, CommandLineMistakesAreExitOneAndHelpIsZero) {
  for (const char* args : {"submit --student ann x.py",                            // a required option missing
                           "submit --assignment cs101/rpn --student ann --lane fast x.py",  // not a lane
                           "assignment webhook cs101/rpn http://h --clear",         // excludes each other
                           "no-such-command", "--no-such-flag"}) {
    Outcome r = producer(args);
    EXPECT_EQ(r.status, 1) << args << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << args;
  }
  Outcome help = producer("submit --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_THAT(help.out, HasSubstr("--assignment"));
  EXPECT_EQ(db.count("SELECT count(*) FROM gradeq.submissions"), 0);
}

}  // namespace
}  // namespace gradeq
