package dev.vertxdomains.launcher;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cluster members setting: the documented forms work, anything else is one clear line. */
class MembersTest {

  @Test
  @DisplayName("host, host:port and host:port-port (written out one member per port)")
  void documentedForms() {
    assertEquals("127.0.0.1", ProcessServices.expandMembers("127.0.0.1"));
    assertEquals("node1:5701,node_2", ProcessServices.expandMembers(" node1:5701 , node_2 "));
    assertEquals("10.0.0.1:5701,10.0.0.1:5702,10.0.0.1:5703,h", ProcessServices.expandMembers("10.0.0.1:5701-5703,h"));
    assertEquals("[::1]:5701", ProcessServices.expandMembers("[::1]:5701"));
  }

  @Test
  @DisplayName("anything else is refused, naming the setting, the member and the forms allowed")
  void refused() {
    for (String members : new String[] {"", "a,,b", "h:", "h:x", "h:0", "h:70000", "h:5703-5701", "h:1-200",
      "-h", "h:5701-", "h 1"}) {
      String message = assertThrows(IllegalArgumentException.class, () -> ProcessServices.expandMembers(members),
        members).getMessage();
      assertTrue(message.startsWith("vertx-domains.cluster.members: '"), message);
      assertTrue(message.endsWith("(comma-separated: host, host:port or host:port-port)"), message);
    }
  }
}
