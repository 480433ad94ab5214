package dev.mcdropout;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class McDropoutApplication {

    public static void main(String[] args) {
        // plots are drawn with Java2D; a server has no display (Spring Boot defaults to this too)
        System.setProperty("java.awt.headless", "true");
        SpringApplication.run(McDropoutApplication.class, args);
    }
}
