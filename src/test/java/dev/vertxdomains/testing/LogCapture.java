package dev.vertxdomains.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.stream.Collectors;

/** The lines one logger (and its children) writes while a test runs; close it to stop capturing. */
public final class LogCapture implements AutoCloseable {

  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(String name) {
    logger = (Logger) LoggerFactory.getLogger(name);
    appender.start();
    logger.addAppender(appender);
  }

  /** Starts capturing what {@code type}'s logger writes. */
  public static LogCapture of(Class<?> type) {
    return new LogCapture(type.getName());
  }

  /** The formatted messages written at {@code level} or above so far. */
  public synchronized List<String> atLeast(Level level) {
    return appender.list.stream().filter(event -> event.getLevel().isGreaterOrEqual(level))
      .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
