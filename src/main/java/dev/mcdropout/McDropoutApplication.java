package dev.mcdropout;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class McDropoutApplication {

    public static void main(String[] args) {
        SpringApplication.run(McDropoutApplication.class, args);
    }
}
