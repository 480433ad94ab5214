package dev.mcdropout.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;

/** What a served plot must be: a decodable image of the advertised size with something drawn, or SVG XML. */
final class PlotAssertions {

    private PlotAssertions() {
    }

    static BufferedImage assertPng(HttpResponse<byte[]> response, int width, int height) throws Exception {
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("image/png");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(response.body()));
        assertThat(image).as("decodes as an image").isNotNull();
        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
        Set<Integer> colours = new HashSet<>();
        long nonWhite = 0;
        for (int x = 0; x < image.getWidth(); x++) {
            for (int y = 0; y < image.getHeight(); y++) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                if (rgb != 0xFFFFFF) {
                    nonWhite++;
                }
            }
        }
        // text, axes and coloured lines: many colours, and far more than a few stray pixels
        assertThat(colours.size()).as("distinct colours").isGreaterThan(20);
        assertThat(nonWhite).as("drawn pixels").isGreaterThan((long) width * height / 100);
        return image;
    }

    static Document assertSvg(HttpResponse<byte[]> response) throws Exception {
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("image/svg+xml"));
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        factory.setExpandEntityReferences(false);
        Document svg = factory.newDocumentBuilder().parse(new ByteArrayInputStream(response.body()));
        assertThat(svg.getDocumentElement().getLocalName()).isEqualTo("svg");
        assertThat(svg.getElementsByTagNameNS("*", "path").getLength()
                + svg.getElementsByTagNameNS("*", "text").getLength()).as("drawn elements").isGreaterThan(10);
        return svg;
    }
}
