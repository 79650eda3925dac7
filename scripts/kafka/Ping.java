// Readiness probe used by scripts/kafka/kafka.sh.
//
//   java -cp '.kafka/lib/*' scripts/kafka/Ping.java 127.0.0.1:9092 3000
//
// Asks the broker for its cluster metadata (Admin.describeCluster), which only
// succeeds once a real Kafka broker has finished starting and answers requests;
// an open port alone is not enough. Prints the node count and exits 0 on
// success; prints one line on stderr and exits 1 otherwise.

import java.time.Duration;
import java.util.Collection;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;

public class Ping {
    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: Ping <host:port> [timeoutMs]");
            System.exit(2);
        }
        String bootstrap = args[0];
        int timeoutMs = args.length == 2 ? Integer.parseInt(args[1]) : 3000;

        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "partita-kafka-ping");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, Math.min(timeoutMs, 1000));
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, Math.min(timeoutMs, 1000));
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 100);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        props.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 100);
        props.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 500);
        props.put(AdminClientConfig.METADATA_MAX_AGE_CONFIG, timeoutMs);

        int code = 1;
        Admin admin = null;
        try {
            admin = Admin.create(props);
            DescribeClusterResult result =
                admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs));
            Collection<Node> nodes = result.nodes().get(timeoutMs + 1000L, TimeUnit.MILLISECONDS);
            String clusterId = result.clusterId().get(timeoutMs + 1000L, TimeUnit.MILLISECONDS);
            if (nodes.isEmpty()) {
                System.err.println("broker at " + bootstrap + " answered but reports no nodes yet");
            } else {
                System.out.println(nodes.size() + " node(s), cluster id " + clusterId);
                code = 0;
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            System.err.println("no Kafka broker answering at " + bootstrap + ": " + cause.getClass().getSimpleName()
                + (cause.getMessage() != null ? ": " + cause.getMessage() : ""));
        } catch (Exception e) {
            System.err.println("no Kafka broker answering at " + bootstrap + ": " + e.getClass().getSimpleName()
                + (e.getMessage() != null ? ": " + e.getMessage() : ""));
        } finally {
            if (admin != null) {
                try {
                    admin.close(Duration.ofMillis(500));
                } catch (Exception ignored) {
                    // closing is best effort; the exit code is already decided
                }
            }
        }
        System.exit(code);
    }
}
