// The deployment files checked offline against each other and against the code: the Kubernetes
// manifests (deploy/k8s/), docker-compose.yml, .env.example and the Dockerfiles under images/.
// No cluster and no engine: every manifest must be well-formed YAML of the expected shape, every
// image one that images/ builds, ports, environment variables, Secret and ConfigMap keys
// consistent with the compose file and the sources, and the grader's resources the sum its
// workers need.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = GRADEQ_SOURCE_DIR;
const fs::path kK8s = kRoot / "deploy" / "k8s";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// yaml-cpp's operator[] on a missing key yields a node that throws when indexed further (and the
// non-const one inserts the key): Y wraps a node read-only, and a missing key, index or a wrong
// type is an empty Y that answers false, as<T>(fallback) and iterates over nothing.
struct Item;
class Y {
 public:
  Y() : node_(YAML::NodeType::Undefined) {}
  explicit Y(const YAML::Node& node) : node_(node) {}
  Y operator[](const std::string& key) const {
    if (!node_.IsDefined() || !node_.IsMap()) return Y();
    const YAML::Node& c = node_;
    const YAML::Node found = c[key];
    return found.IsDefined() ? Y(found) : Y();
  }
  Y operator[](std::size_t i) const {
    if (!node_.IsDefined() || !node_.IsSequence() || i >= node_.size()) return Y();
    const YAML::Node& c = node_;
    return Y(c[i]);
  }
  explicit operator bool() const { return node_.IsDefined() && !node_.IsNull(); }
  bool IsMap() const { return node_.IsDefined() && node_.IsMap(); }
  bool IsSequence() const { return node_.IsDefined() && node_.IsSequence(); }
  std::size_t size() const { return IsMap() || IsSequence() ? node_.size() : 0; }
  template <class T>
  T as(const T& fallback) const {
    return *this ? node_.as<T>(fallback) : fallback;
  }
  template <class T>
  T as() const {
    if (!*this) throw std::runtime_error("a required YAML value is missing");
    return node_.as<T>();
  }
  // Sequence: the elements. Mapping: entries with .first (the key) and .second (the value).
  const Item* begin() const;
  const Item* end() const;

 private:
  YAML::Node node_;
  mutable std::shared_ptr<std::vector<Item>> items_;
  void materialize() const;
};
struct Item : Y {
  Y first, second;
  Item(const Y& self, const Y& key, const Y& value) : Y(self), first(key), second(value) {}
};
void Y::materialize() const {
  if (items_) return;
  items_ = std::make_shared<std::vector<Item>>();
  if (IsSequence()) {
    for (const auto& e : node_) items_->emplace_back(Y(e), Y(), Y(e));
  } else if (IsMap()) {
    for (const auto& kv : node_) items_->emplace_back(Y(kv.second), Y(kv.first), Y(kv.second));
  }
}
const Item* Y::begin() const {
  materialize();
  return items_->data();
}
const Item* Y::end() const {
  materialize();
  return items_->data() + items_->size();
}

// A document of a manifest file, with where it came from for messages.
struct Doc {
  std::string file;
  Y node;
  std::string kind() const { return node["kind"].as<std::string>(""); }
  std::string name() const { return node["metadata"]["name"].as<std::string>(""); }
  std::string where() const { return file + ": " + kind() + "/" + name(); }
};

std::vector<std::string> kustomize_resources() {
  std::vector<std::string> files;
  const Y k(YAML::LoadFile((kK8s / "kustomization.yaml").string()));
  for (const auto& r : k["resources"]) files.push_back(r.as<std::string>());
  return files;
}

std::vector<Doc> load_manifests() {
  std::vector<Doc> docs;
  for (const auto& file : kustomize_resources()) {
    for (const auto& node : YAML::LoadAllFromFile((kK8s / file).string())) {
      if (node.IsNull()) continue;
      docs.push_back({file, Y(node)});
    }
  }
  return docs;
}

// Compose's `<<: *anchor` merge keys, which yaml-cpp reads as an ordinary key: a lookup falls
// back to the merged mapping(s).
Y lookup(const Y& map, const std::string& key) {
  if (!map.IsMap()) return Y();
  if (map[key]) return map[key];
  const Y merged = map["<<"];
  if (merged.IsMap()) return lookup(merged, key);
  for (const auto& m : merged) {
    if (Y found = lookup(m, key)) return found;
  }
  return Y();
}

// Every key of a mapping, merged ones included.
std::set<std::string> keys_of(const Y& map) {
  std::set<std::string> keys;
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (key == "<<") {
      const Y& merged = kv.second;
      if (merged.IsMap()) {
        for (const auto& k : keys_of(merged)) keys.insert(k);
      } else {
        for (const auto& m : merged) {
          for (const auto& k : keys_of(m)) keys.insert(k);
        }
      }
    } else {
      keys.insert(key);
    }
  }
  return keys;
}

const Y& compose() {
  static const Y node(YAML::LoadFile((kRoot / "docker-compose.yml").string()));
  return node;
}

Y compose_service(const std::string& name) { return compose()["services"][name]; }

// "${GRADEQ_METRICS_PORT:-9464}" -> "9464"; plain text as it is.
std::string compose_default(const std::string& value) {
  static const std::regex var(R"(\$\{[A-Z0-9_]+:?-([^}]*)\})");
  return std::regex_replace(value, var, "$1");
}

// GRADEQ_* names the sources read: CLI11's envname("X") and getenv("X").
const std::set<std::string>& code_env_names() {
  static const std::set<std::string> names = [] {
    std::set<std::string> found;
    static const std::regex use(R"((?:envname|getenv)\(\s*"([A-Z0-9_]+)\"\s*\))");
    for (const char* dir : {"producer", "grader", "core", "adapters", "dispatch", "metrics", "runner"}) {
      if (!fs::exists(kRoot / dir)) continue;
      for (const auto& entry : fs::recursive_directory_iterator(kRoot / dir)) {
        const auto ext = entry.path().extension();
        if (ext != ".cpp" && ext != ".hpp") continue;
        const std::string text = read_file(entry.path());
        for (std::sregex_iterator it(text.begin(), text.end(), use), end; it != end; ++it) {
          found.insert((*it)[1]);
        }
      }
    }
    return found;
  }();
  return names;
}

// Every container (init containers too) of every pod template, with its document.
struct Container {
  const Doc* doc;
  Y node;
  std::string name() const { return node["name"].as<std::string>(""); }
  std::string image() const { return node["image"].as<std::string>(""); }
  std::string where() const { return doc->where() + " container " + name(); }
};

Y pod_spec(const Doc& d) {
  const std::string kind = d.kind();
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "Job") return d.node["spec"]["template"]["spec"];
  return Y();
}

std::vector<Container> containers(const std::vector<Doc>& docs) {
  std::vector<Container> out;
  for (const auto& d : docs) {
    const Y spec = pod_spec(d);
    if (!spec) continue;
    for (const char* list : {"initContainers", "containers"}) {
      for (const auto& c : spec[list]) out.push_back({&d, c});
    }
  }
  return out;
}

const Doc* find(const std::vector<Doc>& docs, const std::string& kind, const std::string& name) {
  for (const auto& d : docs) {
    if (d.kind() == kind && d.name() == name) return &d;
  }
  return nullptr;
}

std::map<std::string, std::string> config_data(const std::vector<Doc>& docs, const std::string& name) {
  std::map<std::string, std::string> data;
  if (const Doc* d = find(docs, "ConfigMap", name)) {
    for (const auto& kv : d->node["data"]) data[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return data;
}

// "gradeq-postgres:15" -> {"gradeq-postgres", "15"}
std::pair<std::string, std::string> split_image(const std::string& image) {
  const auto colon = image.rfind(':');
  if (colon == std::string::npos || image.find('/', colon) != std::string::npos) return {image, "latest"};
  return {image.substr(0, colon), image.substr(colon + 1)};
}

// The images/ folder that builds an image name: gradeq -> images/gradeq, gradeq-X -> images/X,
// gradeq-runner-X -> images/X. Empty when none does.
fs::path dockerfile_for(const std::string& repository) {
  std::string folder;
  if (repository == "gradeq") {
    folder = "gradeq";
  } else if (repository.rfind("gradeq-runner-", 0) == 0) {
    folder = repository.substr(std::string("gradeq-runner-").size());
  } else if (repository.rfind("gradeq-", 0) == 0) {
    folder = repository.substr(std::string("gradeq-").size());
  }
  if (folder.empty()) return {};
  const fs::path dockerfile = kRoot / "images" / folder / "Dockerfile";
  return fs::exists(dockerfile) ? dockerfile : fs::path();
}

// Kubernetes quantities: "1750m" / "1.5" CPUs -> millicores; "640Mi" / "1Gi" -> MiB.
long millicores(const std::string& q) {
  if (!q.empty() && q.back() == 'm') return std::stol(q.substr(0, q.size() - 1));
  return std::lround(std::stod(q) * 1000);
}
long mebibytes(const std::string& q) {
  if (q.size() > 2 && q.compare(q.size() - 2, 2, "Mi") == 0) return std::stol(q.substr(0, q.size() - 2));
  if (q.size() > 2 && q.compare(q.size() - 2, 2, "Gi") == 0) return std::stol(q.substr(0, q.size() - 2)) * 1024;
  ADD_FAILURE() << "memory quantity " << q << " is neither Mi nor Gi";
  return -1;
}

// A default of the grader's settings struct (grader/include/gradeq/grader.hpp): `int NAME = N;`.
std::string grader_default(const std::string& member) {
  const std::string text = read_file(kRoot / "grader" / "include" / "gradeq" / "grader.hpp");
  std::smatch m;
  const std::regex decl("\\b" + member + R"(\s*=\s*([0-9.]+)\s*;)");
  if (std::regex_search(text, m, decl)) return m[1];
  ADD_FAILURE() << "no default for " << member << " in grader.hpp";
  return "0";
}

// The instructions of one stage of a Dockerfile (after its FROM line, up to the next stage),
// comment lines left out.
std::string stage_body(const fs::path& dockerfile, const std::string& from_line) {
  std::istringstream in(read_file(dockerfile));
  std::string line, body;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("FROM ", 0) == 0) {
      if (inside) break;
      inside = line == from_line;
      continue;
    }
    if (inside && line.rfind("#", 0) != 0) body += line + "\n";
  }
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return body;
}

}  // namespace

TEST(DeployManifests, EveryFileIsListedAndWellFormed) {
  std::set<std::string> listed;
  for (const auto& f : kustomize_resources()) {
    listed.insert(f);
    EXPECT_TRUE(fs::exists(kK8s / f)) << "kustomization.yaml lists " << f << ", which is missing";
  }
  for (const auto& entry : fs::directory_iterator(kK8s)) {
    const std::string f = entry.path().filename().string();
    if (entry.path().extension() == ".yaml" && f != "kustomization.yaml") {
      EXPECT_TRUE(listed.count(f)) << f << " is not listed in kustomization.yaml";
    }
  }
  std::set<std::string> seen;
  const auto docs = load_manifests();
  ASSERT_FALSE(docs.empty());
  for (const auto& d : docs) {
    ASSERT_TRUE(d.node.IsMap()) << d.file << ": a document is not a mapping";
    EXPECT_FALSE(d.node["apiVersion"].as<std::string>("").empty()) << d.where() << ": no apiVersion";
    EXPECT_FALSE(d.kind().empty()) << d.file << ": a document has no kind";
    EXPECT_FALSE(d.name().empty()) << d.file << ": a document has no metadata.name";
    EXPECT_TRUE(seen.insert(d.kind() + "/" + d.name()).second) << d.where() << " is defined twice";
    if (pod_spec(d)) {
      const Y selector = d.node["spec"]["selector"]["matchLabels"];
      const Y labels = d.node["spec"]["template"]["metadata"]["labels"];
      for (const auto& kv : selector) {
        EXPECT_EQ(labels[kv.first.as<std::string>()].as<std::string>(""), kv.second.as<std::string>())
            << d.where() << ": the selector does not match the pod template's labels";
      }
    }
  }
  for (const char* kind : {"Deployment", "StatefulSet", "Service", "ConfigMap", "Secret", "ScaledObject",
                           "TriggerAuthentication", "Job"}) {
    EXPECT_TRUE(std::any_of(docs.begin(), docs.end(), [&](const Doc& d) { return d.kind() == kind; }))
        << "no " << kind << " in deploy/k8s";
  }
}

TEST(DeployManifests, EveryImageIsBuiltByImagesAndTaggedAsInCompose) {
  const auto docs = load_manifests();
  for (const auto& c : containers(docs)) {
    const auto [repository, tag] = split_image(c.image());
    EXPECT_FALSE(dockerfile_for(repository).empty())
        << c.where() << ": image " << c.image() << " is not built by any images/*/Dockerfile";
  }
  // Compose's images, and the same tags on both sides for the services' own images.
  std::map<std::string, std::string> compose_tags;
  for (const auto& svc : compose()["services"]) {
    const Y image = lookup(svc.second, "image");
    ASSERT_TRUE(image) << "compose service " << svc.first.as<std::string>() << " has no image";
    const auto [repository, tag] = split_image(compose_default(image.as<std::string>()));
    EXPECT_FALSE(dockerfile_for(repository).empty()) << "compose image " << repository << " has no images/*/Dockerfile";
    compose_tags[repository] = tag;
  }
  const Y k(YAML::LoadFile((kK8s / "kustomization.yaml").string()));
  for (const auto& img : k["images"]) {
    const auto name = img["name"].as<std::string>();
    EXPECT_FALSE(dockerfile_for(name).empty()) << "kustomization.yaml: image " << name << " is not built by images/";
    if (compose_tags.count(name)) {
      EXPECT_EQ(img["newTag"].as<std::string>(), compose_tags[name]) << "kustomization.yaml: the tag of " << name;
    }
  }
  // The runner images the Docker engine sidecar pulls are runner images of images/.
  for (const auto& c : containers(docs)) {
    for (const auto& e : c.node["env"]) {
      if (e["name"].as<std::string>() != "GRADEQ_RUNNER_LANGUAGES") continue;
      std::istringstream langs(e["value"].as<std::string>());
      for (std::string lang; langs >> lang;) {
        const fs::path dockerfile = kRoot / "images" / lang / "Dockerfile";
        ASSERT_TRUE(fs::exists(dockerfile)) << c.where() << ": no runner image for " << lang;
        EXPECT_NE(read_file(dockerfile).find("\nFROM debian:bookworm-slim AS runner-build\n"), std::string::npos)
            << dockerfile << " is not a runner image";
      }
    }
  }
}

TEST(DeployManifests, RunnerImagesBuildTheRunnerLikeTheGradeqImage) {
  const std::string build = stage_body(kRoot / "images" / "gradeq" / "Dockerfile", "FROM debian:bookworm-slim AS build");
  ASSERT_NE(build.find("gradeq-runner"), std::string::npos) << "the gradeq image's build stage builds no gradeq-runner";
  int runners = 0;
  for (const auto& entry : fs::directory_iterator(kRoot / "images")) {
    const fs::path dockerfile = entry.path() / "Dockerfile";
    if (!fs::exists(dockerfile)) continue;
    const std::string text = read_file(dockerfile);
    if (text.find("\nFROM debian:bookworm-slim AS runner-build\n") == std::string::npos) continue;
    ++runners;
    // Word for word, so that the engine's cache compiles once for every image.
    EXPECT_EQ(stage_body(dockerfile, "FROM debian:bookworm-slim AS runner-build"), build)
        << dockerfile << ": the runner-build stage differs from images/gradeq/Dockerfile's build stage";
    EXPECT_NE(text.find("\nFROM debian:bookworm-slim AS runtime\n"), std::string::npos)
        << dockerfile << ": no runtime stage (images/build.sh builds it alone with a host-built runner)";
    EXPECT_NE(text.find("\nUSER 65534:65534\n"), std::string::npos) << dockerfile << ": not non-root";
  }
  EXPECT_GE(runners, 4) << "python, c, cpp and java";
}

TEST(DeployManifests, PortsMatchComposeAndTheCode) {
  const auto docs = load_manifests();
  std::map<std::string, std::set<int>> ports;  // container name -> containerPorts
  for (const auto& c : containers(docs)) {
    for (const auto& p : c.node["ports"]) ports[c.name()].insert(p["containerPort"].as<int>());
  }
  // The API: compose publishes container port 8080 and both start `serve --listen 0.0.0.0:8080`.
  const Y api = compose_service("api");
  ASSERT_TRUE(api) << "no api service in docker-compose.yml";
  const std::string mapping = compose_default(api["ports"][0].as<std::string>());
  const int compose_api_port = std::stoi(mapping.substr(mapping.rfind(':') + 1));
  EXPECT_EQ(ports["api"], std::set<int>{compose_api_port});
  const auto listen_port = [](const Y& command) {
    for (std::size_t i = 0; i + 1 < command.size(); ++i) {
      if (command[i].as<std::string>() == "--listen") {
        const auto l = command[i + 1].as<std::string>();
        return std::stoi(l.substr(l.rfind(':') + 1));
      }
    }
    return -1;
  };
  EXPECT_EQ(listen_port(api["command"]), compose_api_port);
  {  // and the producer's own default for serve --listen
    const std::string main = read_file(kRoot / "producer" / "main.cpp");
    std::smatch m;
    const std::regex listen_default(R"re(std::string listen = "[0-9.]+:([0-9]+)")re");
    ASSERT_TRUE(std::regex_search(main, m, listen_default))
        << "no default for serve --listen in producer/main.cpp";
    EXPECT_EQ(std::stoi(m[1]), compose_api_port) << "serve's default port";
  }
  for (const auto& c : containers(docs)) {
    if (c.name() == "api") {
      EXPECT_EQ(listen_port(c.node["command"]), compose_api_port) << c.where();
    }
  }
  // The graders' metrics: the ConfigMap's port, compose's default, the container port.
  const auto config = config_data(docs, "gradeq-config");
  const std::string compose_metrics =
      compose_default(lookup(compose_service("grader"), "environment")["GRADEQ_METRICS_PORT"].as<std::string>());
  EXPECT_EQ(config.at("GRADEQ_METRICS_PORT"), compose_metrics);
  EXPECT_EQ(ports["grader"], std::set<int>{std::stoi(compose_metrics)});
  // PostgreSQL and RabbitMQ: the ports of the URLs in compose, the Secret, the code's AMQP default.
  EXPECT_EQ(ports["postgres"], std::set<int>{5432});
  EXPECT_TRUE(ports["rabbitmq"].count(5672));
  const Y env = lookup(compose_service("grader"), "environment");
  EXPECT_NE(lookup(env, "GRADEQ_DATABASE_URL").as<std::string>().find("@postgres:5432/"), std::string::npos);
  EXPECT_NE(lookup(env, "GRADEQ_AMQP_URL").as<std::string>().find("@rabbitmq:5672/"), std::string::npos);
  EXPECT_NE(read_file(kRoot / "grader" / "include" / "gradeq" / "grader.hpp").find("127.0.0.1:5672/"),
            std::string::npos)
      << "the grader's default broker port is not 5672";
  const Doc* secret = find(docs, "Secret", "gradeq-secrets");
  ASSERT_NE(secret, nullptr);
  EXPECT_NE(secret->node["stringData"]["GRADEQ_DATABASE_URL"].as<std::string>().find("@postgres:5432/"),
            std::string::npos);
  EXPECT_NE(secret->node["stringData"]["GRADEQ_AMQP_URL"].as<std::string>().find("@rabbitmq:5672/"),
            std::string::npos);
  // Each Service's targetPort is a named or numbered port of the pods it selects.
  for (const auto& d : docs) {
    if (d.kind() != "Service") continue;
    for (const auto& p : d.node["spec"]["ports"]) {
      const std::string target = p["targetPort"].as<std::string>(p["port"].as<std::string>());
      bool found = false;
      for (const auto& c : containers(docs)) {
        const Y labels = c.doc->node["spec"]["template"]["metadata"]["labels"];
        bool selected = true;
        for (const auto& kv : d.node["spec"]["selector"]) {
          selected = selected && labels[kv.first.as<std::string>()].as<std::string>("") == kv.second.as<std::string>();
        }
        if (!selected) continue;
        for (const auto& cp : c.node["ports"]) {
          found = found || cp["name"].as<std::string>("") == target || cp["containerPort"].as<std::string>() == target;
        }
      }
      EXPECT_TRUE(found) << d.where() << ": targetPort " << target << " is no port of the pods it selects";
    }
  }
}

TEST(DeployManifests, EnvironmentNamesExistInTheCodeAndInCompose) {
  const auto docs = load_manifests();
  // Names compose gives the gradeq image's services.
  std::set<std::string> compose_gradeq_env;
  for (const char* svc : {"migrate", "api", "grader", "producer"}) {
    for (const auto& k : keys_of(lookup(compose_service(svc), "environment"))) compose_gradeq_env.insert(k);
  }
  for (const auto& name : compose_gradeq_env) {
    EXPECT_TRUE(code_env_names().count(name)) << "docker-compose.yml sets " << name << ", which no source reads";
  }
  const std::string k8s_config_text = read_file(kK8s / "config.yaml");
  for (const auto& c : containers(docs)) {
    const auto [repository, tag] = split_image(c.image());
    for (const auto& e : c.node["env"]) {
      const auto name = e["name"].as<std::string>();
      if (repository == "gradeq") {
        if (name == "DOCKER_HOST") continue;  // the docker CLI's, not gradeq's
        EXPECT_TRUE(code_env_names().count(name)) << c.where() << ": " << name << " is read by no source";
        EXPECT_TRUE(compose_gradeq_env.count(name)) << c.where() << ": " << name << " is not in docker-compose.yml";
        continue;
      }
      // The other images: a variable their own files read, compose sets, or the cluster's
      // config (rabbitmq-env.conf's ${POD_NAME}) uses.
      const fs::path folder = dockerfile_for(repository).parent_path();
      bool known = k8s_config_text.find("${" + name + "}") != std::string::npos;
      for (const auto& entry : fs::directory_iterator(folder)) {
        known = known || read_file(entry.path()).find(name) != std::string::npos;
      }
      for (const auto& svc : compose()["services"]) {
        const Y image = lookup(svc.second, "image");
        if (split_image(compose_default(image.as<std::string>())).first == repository) {
          known = known || keys_of(lookup(svc.second, "environment")).count(name);
        }
      }
      EXPECT_TRUE(known) << c.where() << ": " << name << " is used by nothing of " << folder;
    }
  }
  // Every ${VARIABLE} of docker-compose.yml is documented in .env.example.
  const std::string compose_text = read_file(kRoot / "docker-compose.yml");
  const std::string env_example = read_file(kRoot / ".env.example");
  static const std::regex var(R"(\$\{([A-Z0-9_]+))");
  for (std::sregex_iterator it(compose_text.begin(), compose_text.end(), var), end; it != end; ++it) {
    EXPECT_NE(env_example.find("\n" + (*it)[1].str() + "="), std::string::npos)
        << "docker-compose.yml reads ${" << (*it)[1] << "}, which .env.example does not set";
  }
}

TEST(DeployManifests, SecretAndConfigMapReferencesExist) {
  const auto docs = load_manifests();
  std::map<std::string, std::set<std::string>> secrets, configs;
  for (const auto& d : docs) {
    auto& into = d.kind() == "Secret" ? secrets : configs;
    if (d.kind() != "Secret" && d.kind() != "ConfigMap") continue;
    for (const char* field : {"data", "stringData"}) {
      for (const auto& kv : d.node[field]) into[d.name()].insert(kv.first.as<std::string>());
    }
  }
  int refs = 0;
  const auto check = [&](const std::map<std::string, std::set<std::string>>& defined, const std::string& name,
                         const std::string& key, const std::string& where) {
    ++refs;
    EXPECT_TRUE(defined.count(name) && defined.at(name).count(key)) << where << ": " << name << "/" << key
                                                                    << " is not defined in deploy/k8s";
  };
  for (const auto& c : containers(docs)) {
    for (const auto& e : c.node["env"]) {
      const Y from = e["valueFrom"];
      if (from["secretKeyRef"]) {
        check(secrets, from["secretKeyRef"]["name"].as<std::string>(), from["secretKeyRef"]["key"].as<std::string>(),
              c.where());
      }
      if (from["configMapKeyRef"]) {
        check(configs, from["configMapKeyRef"]["name"].as<std::string>(),
              from["configMapKeyRef"]["key"].as<std::string>(), c.where());
      }
    }
  }
  for (const auto& d : docs) {
    const Y spec = pod_spec(d);
    for (const auto& v : spec["volumes"]) {
      if (v["secret"]) {
        for (const auto& item : v["secret"]["items"]) {
          check(secrets, v["secret"]["secretName"].as<std::string>(), item["key"].as<std::string>(), d.where());
        }
      }
      if (v["configMap"]) {
        EXPECT_TRUE(configs.count(v["configMap"]["name"].as<std::string>())) << d.where() << ": no such ConfigMap";
      }
    }
    for (const auto& c : spec["containers"]) {
      for (const auto& m : c["volumeMounts"]) {
        if (!m["subPath"]) continue;
        for (const auto& v : spec["volumes"]) {
          if (v["name"].as<std::string>() == m["name"].as<std::string>() && v["configMap"]) {
            check(configs, v["configMap"]["name"].as<std::string>(), m["subPath"].as<std::string>(), d.where());
          }
        }
      }
    }
    if (d.kind() == "TriggerAuthentication") {
      for (const auto& ref : d.node["spec"]["secretTargetRef"]) {
        check(secrets, ref["name"].as<std::string>(), ref["key"].as<std::string>(), d.where());
      }
    }
  }
  EXPECT_GE(refs, 10);
}

TEST(DeployManifests, GraderResourcesMatchItsWorkers) {
  const auto docs = load_manifests();
  const Doc* grader = find(docs, "Deployment", "gradeq-grader");
  ASSERT_NE(grader, nullptr);
  const auto config = config_data(docs, "gradeq-config");
  const auto setting = [&](const std::string& env, const std::string& member) {
    return config.count(env) ? config.at(env) : grader_default(member);
  };
  const int workers = std::stoi(setting("GRADEQ_CONCURRENCY", "concurrency")) +
                      std::stoi(setting("GRADEQ_RESERVED_INTERACTIVE", "reserved_interactive"));
  const double cpus = std::stod(setting("GRADEQ_MAX_CPUS", "max_cpus"));
  const int memory_mb = std::stoi(setting("GRADEQ_MAX_MEMORY_MB", "max_memory_mb"));
  // What the engine itself needs (dockerd, containerd, container start-up) and the grader's own,
  // as grader.yaml's comment says.
  const long engine_millicores = 250, engine_mib = 256, grader_millicores = 200, grader_mib = 128;

  bool saw_engine = false, saw_grader = false;
  for (const auto& c : containers(docs)) {
    if (c.doc != grader) continue;
    const Y res = c.node["resources"];
    ASSERT_TRUE(res["requests"] && res["limits"]) << c.where() << ": no requests and limits";
    const long cpu = millicores(res["requests"]["cpu"].as<std::string>());
    const long mem = mebibytes(res["requests"]["memory"].as<std::string>());
    EXPECT_EQ(millicores(res["limits"]["cpu"].as<std::string>()), cpu) << c.where() << ": limits differ from requests";
    EXPECT_EQ(mebibytes(res["limits"]["memory"].as<std::string>()), mem) << c.where() << ": limits differ from requests";
    if (split_image(c.image()).first == "gradeq-dind") {
      saw_engine = true;
      EXPECT_EQ(cpu, std::lround(workers * cpus * 1000) + engine_millicores)
          << c.where() << ": " << workers << " workers x " << cpus << " CPU + the engine's " << engine_millicores << "m";
      EXPECT_EQ(mem, static_cast<long>(workers) * memory_mb + engine_mib)
          << c.where() << ": " << workers << " workers x " << memory_mb << " MiB + the engine's " << engine_mib << " MiB";
      EXPECT_TRUE(c.node["securityContext"]["privileged"].as<bool>(false)) << c.where();
    } else {
      saw_grader = true;
      EXPECT_EQ(cpu, grader_millicores) << c.where();
      EXPECT_EQ(mem, grader_mib) << c.where();
      // The grader reads the settings the sum is made of from the same ConfigMap.
      std::set<std::string> from_config;
      for (const auto& e : c.node["env"]) {
        if (e["valueFrom"]["configMapKeyRef"]) from_config.insert(e["name"].as<std::string>());
      }
      for (const char* env : {"GRADEQ_CONCURRENCY", "GRADEQ_RESERVED_INTERACTIVE", "GRADEQ_MAX_CPUS",
                              "GRADEQ_MAX_MEMORY_MB"}) {
        EXPECT_TRUE(from_config.count(env)) << c.where() << ": " << env << " not from gradeq-config";
      }
      EXPECT_EQ(c.node["securityContext"]["runAsUser"].as<int>(0), 10001) << c.where();
    }
  }
  EXPECT_TRUE(saw_engine) << "the grader pod has no gradeq-dind engine";
  EXPECT_TRUE(saw_grader);
}

TEST(DeployManifests, KedaScalesTheGraderOnBothLanesOfAQuorumCluster) {
  const auto docs = load_manifests();
  const Doc* scaled = nullptr;
  for (const auto& d : docs) {
    if (d.kind() == "ScaledObject") scaled = &d;
  }
  ASSERT_NE(scaled, nullptr);
  EXPECT_TRUE(find(docs, "Deployment", scaled->node["spec"]["scaleTargetRef"]["name"].as<std::string>()))
      << scaled->where() << ": scaleTargetRef names no Deployment";
  const auto config = config_data(docs, "gradeq-config");
  const std::string prefix = config.count("GRADEQ_QUEUE_PREFIX") ? config.at("GRADEQ_QUEUE_PREFIX") : "gradeq";
  std::set<std::string> queues;
  for (const auto& t : scaled->node["spec"]["triggers"]) {
    EXPECT_EQ(t["type"].as<std::string>(), "rabbitmq");
    queues.insert(t["metadata"]["queueName"].as<std::string>());
    EXPECT_TRUE(find(docs, "TriggerAuthentication", t["authenticationRef"]["name"].as<std::string>()))
        << scaled->where() << ": authenticationRef names no TriggerAuthentication";
  }
  EXPECT_EQ(queues, (std::set<std::string>{prefix + ".bulk", prefix + ".interactive"}));

  // RabbitMQ: three nodes, each named in the cluster's peer list, and queues declared quorum.
  const Doc* rabbit = find(docs, "StatefulSet", "rabbitmq");
  ASSERT_NE(rabbit, nullptr);
  EXPECT_EQ(rabbit->node["spec"]["replicas"].as<int>(), 3);
  const std::string service = rabbit->node["spec"]["serviceName"].as<std::string>();
  const Doc* headless = find(docs, "Service", service);
  ASSERT_NE(headless, nullptr) << "no Service " << service;
  EXPECT_EQ(headless->node["spec"]["clusterIP"].as<std::string>(""), "None");
  const std::string cluster_conf = config_data(docs, "rabbitmq-cluster").at("10-cluster.conf");
  const std::string ns = Y(YAML::LoadFile((kK8s / "kustomization.yaml").string()))["namespace"].as<std::string>();
  for (int i = 0; i < 3; ++i) {
    const std::string node = "rabbit@rabbitmq-" + std::to_string(i) + "." + service + "." + ns + ".svc.cluster.local";
    EXPECT_NE(cluster_conf.find(node), std::string::npos) << "10-cluster.conf does not name " << node;
  }
  EXPECT_NE(read_file(kRoot / "adapters" / "amqp" / "src" / "topology.cpp").find("\"x-queue-type\", quorum"),
            std::string::npos)
      << "the queues are no longer declared as quorum queues";
}
