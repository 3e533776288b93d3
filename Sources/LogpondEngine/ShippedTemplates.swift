/// The templates Logpond installs on a new data folder. The canonical copy of each is in
/// `mappings/` at the top of the repository; a test checks these stay byte-identical to it.
public enum ShippedTemplates {
    /// (name, legacy template body) pairs.
    public static let all: [(name: String, body: String)] = [("fluent-logging", fluentLogging)]

    /// mappings/fluent-logging.json: the seed deployment's mapping (Elasticsearch 6 typed form,
    /// `not_analyzed` keywords) as a legacy template for `logstash-*`, plus `@timestamp` as a date.
    public static let fluentLogging = #"""
{
  "index_patterns": ["logstash-*"],
  "order": 0,
  "settings": {
    "number_of_shards": 1,
    "number_of_replicas": 0
  },
  "mappings": {
    "fluent-logging": {
      "properties": {
        "@timestamp": {
          "type": "date"
        },
        "kubernetes": {
          "properties": {
            "container_name": {
              "index": "not_analyzed",
              "type": "keyword"
            },
            "docker_id": {
              "index": "not_analyzed",
              "type": "keyword"
            },
            "host": {
              "index": "not_analyzed",
              "type": "keyword"
            },
            "labels": {
              "properties": {
                "app": {
                  "index": "not_analyzed",
                  "type": "keyword"
                },
                "application": {
                  "index": "not_analyzed",
                  "type": "keyword"
                },
                "component": {
                  "index": "not_analyzed",
                  "type": "keyword"
                },
                "release_group": {
                  "index": "not_analyzed",
                  "type": "keyword"
                }
              }
            },
            "namespace_name": {
              "index": "not_analyzed",
              "type": "keyword"
            },
            "pod_id": {
              "index": "not_analyzed",
              "type": "keyword"
            },
            "pod_name": {
              "index": "not_analyzed",
              "type": "keyword"
            }
          }
        },
        "log": {
          "type": "text"
        }
      }
    }
  }
}

"""#
}
