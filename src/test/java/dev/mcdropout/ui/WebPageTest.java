package dev.mcdropout.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mcdropout.ServiceTestSupport;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import tools.jackson.databind.JsonNode;

/**
 * The web page at / in a real headless Chromium, against the shared test server (the real service on a
 * random port, with the digits model trained at start and an API key configured, so every mutating action
 * from the page needs the key). After every test, the browser's network log must name no URL outside the
 * service.
 */
class WebPageTest extends ServiceTestSupport {

    private static final String KEY_STORAGE = "mcdropout.apiKey";
    private static Browser browser;

    private String base;

    @BeforeAll
    static void startBrowser() {
        browser = Browser.start();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void openPage() {
        base = "http://localhost:" + port + "/";
        browser.size(1280, 900);
        browser.open(base + "#try");
        browser.js("sessionStorage.clear()");
        browser.driver.navigate().refresh();
        awaitReadyPage();
    }

    @AfterEach
    void pageRequestedNothingOutsideTheService(TestInfo test) throws Exception {
        // what the page looked like at the end, and what its console said: for whoever reads a failure
        Path out = Path.of("target", "ui-screenshots");
        Files.createDirectories(out);
        Files.write(out.resolve("end-of-" + test.getTestMethod().orElseThrow().getName() + ".png"),
                browser.driver.getScreenshotAs(OutputType.BYTES));
        browser.consoleErrors().forEach(line -> System.out.println("browser console: " + line));
        List<String> urls = browser.requestedUrls();
        assertThat(urls).as("requests the page made").isNotEmpty()
                .allSatisfy(url -> assertThat(url).as("every network request goes to the service itself")
                        .matches(this::local));
        // leave no training job running for the next test
        for (JsonNode job : json(get("/train/jobs"))) {
            String status = job.get("status").asString();
            if (status.equals("QUEUED") || status.equals("RUNNING")) {
                send(withKey(request("/train/jobs/" + job.get("id").asString())).DELETE());
            }
        }
    }

    /**
     * A URL the page may load: one of the service's, or one that is no network request at all (data:, blob:,
     * and the browser's own chrome:// pages that a fresh profile opens before the first test).
     */
    private boolean local(String url) {
        return url.startsWith(base) || !url.matches("(?i)^(https?|wss?|ftp):.*");
    }

    private void awaitReadyPage() {
        browser.await("page ready", d -> "true".equals(browser.js("return document.body.dataset.ready")));
    }

    @Test
    void drawingADigitShowsAPredictionWithErrorBars() throws Exception {
        WebElement canvas = browser.visible("#digit-canvas");
        // a "7": a bar across the top, then a stroke down to the lower left (offsets from the canvas centre)
        Actions stroke = new Actions(browser.driver).moveToElement(canvas, -80, -90).clickAndHold();
        for (int x = -80; x <= 80; x += 16) {
            stroke.moveToElement(canvas, x, -90);
        }
        for (int i = 1; i <= 10; i++) {
            stroke.moveToElement(canvas, 80 - i * 10, -90 + i * 18);
        }
        stroke.release().perform();

        WebElement result = browser.visible("#result");
        browser.await("an answer", d -> !browser.find("#predicted-class").getText().isBlank());
        double[] drawn = parseCsv(browser.find("#row-input").getDomProperty("value"));
        assertThat(drawn).hasSize(64);
        assertThat(java.util.Arrays.stream(drawn).filter(v -> v > 0).count()).as("inked cells").isGreaterThan(8);
        assertThat(java.util.Arrays.stream(drawn).max().getAsDouble()).isBetween(12.0, 16.0);

        // the chart has the mean bars and, as floating bars, mean - std .. mean + std for every class
        @SuppressWarnings("unchecked")
        Map<String, Object> chart = (Map<String, Object>) browser.js("""
                const c = Chart.getChart(document.getElementById('probability-chart'));
                return {labels: c.data.datasets.map(d => d.label), means: c.data.datasets[0].data,
                        bars: c.data.datasets[1].data, drawn: c.getDatasetMeta(1).data.length};""");
        assertThat((List<Object>) chart.get("labels")).contains("Mean probability", "±1 standard deviation");
        assertThat(((Number) chart.get("drawn")).intValue()).isEqualTo(10);
        List<Double> std = columnOfTable("std");
        List<Double> mean = columnOfTable("mean");
        @SuppressWarnings("unchecked")
        List<List<Number>> bars = (List<List<Number>>) chart.get("bars");
        for (int k = 0; k < 10; k++) {
            assertThat(bars.get(k).get(0).doubleValue()).isCloseTo(Math.max(0, mean.get(k) - std.get(k)), within(1e-12));
            assertThat(bars.get(k).get(1).doubleValue()).isCloseTo(Math.min(1, mean.get(k) + std.get(k)), within(1e-12));
        }
        assertThat(std.stream().mapToDouble(Double::doubleValue).max().getAsDouble())
                .as("100 passes with dropout disagree a little at least").isGreaterThan(0);
        assertThat(result.getDomAttribute("data-model")).startsWith("digits:");

        // the service says the same about the drawn row with the seed the page shows
        JsonNode expected = json(postJson("/predict?mcSamples=100&seed=" + result.getDomAttribute("data-seed")
                + "&model=" + result.getDomAttribute("data-model"), "{\"instances\":[" + toJson(drawn) + "]}"))
                .get("predictions").get(0);
        assertThat(browser.find("#predicted-class").getText()).isEqualTo(expected.get("predictedClass").asString());
        assertSameNumbers(expected);
    }

    @Test
    void pickingADataRowGivesTheSameNumbersAsPostPredictWithTheSameSeed() throws Exception {
        browser.find("#seed").sendKeys("7");
        browser.visible(".sample[data-index='3']").click();
        WebElement result = browser.visible("#result");
        browser.await("the answer for row 3", d -> "7".equals(result.getDomAttribute("data-seed")));
        assertThat(parseCsv(browser.find("#row-input").getDomProperty("value"))).containsExactly(digitsRow(3));
        assertThat(browser.find(".sample[data-index='3']").getDomAttribute("aria-pressed")).isEqualTo("true");

        HttpResponse<String> direct = postJson("/predict?mcSamples=100&seed=7&model=" + result.getDomAttribute("data-model"),
                digitsBody(3, 1));
        assertThat(direct.statusCode()).isEqualTo(200);
        JsonNode expected = json(direct).get("predictions").get(0);
        assertThat(browser.find("#predicted-class").getText()).isEqualTo(expected.get("predictedClass").asString())
                .isEqualTo(Integer.toString(digitLabel(3)));
        assertSameNumbers(expected);
        assertThat(browser.find("#result-meta").getText()).contains("100 passes", "seed 7");
    }

    @Test
    void aDigitDrawnWithTheKeyboardIsPredicted() {
        WebElement canvas = browser.visible("#digit-canvas");
        canvas.click(); // focus (the click also inks one cell and predicts; the keys add more)
        List<CharSequence> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            keys.add(Keys.ARROW_UP);
        }
        for (int i = 0; i < 7; i++) {
            keys.add(" ");
            keys.add(" ");
            keys.add(Keys.ARROW_DOWN);
        }
        canvas.sendKeys(keys.toArray(CharSequence[]::new));
        double[] row = parseCsv(browser.find("#row-input").getDomProperty("value"));
        int column = -1;
        for (int c = 0; c < 8 && column < 0; c++) {
            boolean full = true;
            for (int r = 0; r < 7; r++) {
                full &= row[r * 8 + c] == 16.0;
            }
            column = full ? c : -1;
        }
        assertThat(column).as("a column of full ink drawn with Space and the arrow keys").isGreaterThanOrEqualTo(0);
        browser.find("#predict-button").sendKeys(Keys.ENTER);
        browser.await("the answer for the keyboard drawing", d -> browser.find("#result").isDisplayed()
                && !browser.find("#predicted-class").getText().isBlank());
    }

    @Test
    void uploadingACsvTrainsAModelThatTheTryViewThenPredictsWith() throws Exception {
        // a user who entered the key earlier in this tab
        browser.js("sessionStorage.setItem(arguments[0], arguments[1])", KEY_STORAGE, API_KEY);
        String name = "ui-blobs-" + UUID.randomUUID().toString().substring(0, 8);
        Path csv = writeCsv(name, blobsCsv(30, 1));
        openTraining();
        browser.find("#train-file").sendKeys(csv.toString());
        browser.await("label column choices from the header", d -> browser.all("#train-label option").size() == 6);
        assertThat(browser.find("#train-name").getDomProperty("value")).isEqualTo(name);
        new Select(browser.find("#train-label")).selectByValue("species");
        browser.find("#hp-hiddenLayers").sendKeys("16");
        browser.find("#hp-epochs").sendKeys("30");
        browser.find("#hp-seed").sendKeys("3");
        browser.find("#train-button").click();

        WebElement job = browser.visible("#job-panel");
        browser.await("job SUCCEEDED", d -> "SUCCEEDED".equals(job.getDomAttribute("data-status")));
        assertThat(browser.find("#job-summary").getText()).contains("saved as " + name + " version 1 (active)");
        JsonNode done = json(get("/train/jobs/" + job.getDomAttribute("data-job-id")));
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("epochs").asInt()).isEqualTo(30);
        long plotted = ((Number) browser.js(
                "return Chart.getChart(document.getElementById('job-loss-chart')).data.datasets[0].data.length")).longValue();
        assertThat(plotted).as("loss curve points").isEqualTo(done.get("epoch").asInt());
        assertThat(browser.find("#jobs-table").getText()).contains(name);

        browser.visible("#job-try").click();
        browser.await("Try it with the new model", d -> name.equals(browser.find("#model-select").getDomProperty("value"))
                && browser.find("#model-inputs").getText().contains("takes 4 features"));
        assertThat(browser.find("#draw-panel").isDisplayed()).as("no drawing for a 4-feature model").isFalse();
        // the centre of class "b" (features x1, x2, x3, x4 in file order, the label column left out)
        browser.find("#row-input").sendKeys("0, 4, 0, 4");
        browser.find("#predict-button").click();
        WebElement result = browser.visible("#result");
        browser.await("an answer from the new model", d -> (name + ":1").equals(result.getDomAttribute("data-model")));
        assertThat(browser.find("#predicted-class").getText()).isEqualTo("b");
        assertThat(browser.find("#probability-table").findElements(org.openqa.selenium.By.cssSelector("tbody tr")))
                .hasSize(3);
    }

    @Test
    void aBadUploadShowsTheProblemsDetail() throws Exception {
        browser.js("sessionStorage.setItem(arguments[0], arguments[1])", KEY_STORAGE, API_KEY);
        String csv = "a,b,label\n1,2,x\n3,oops,y\n";
        Path file = writeCsv("ui-bad", csv);
        openTraining();
        browser.find("#train-file").sendKeys(file.toString());
        browser.find("#train-button").click();
        WebElement error = browser.visible("#train-error");
        String expected = json(postMultipart(csv, "ui-bad", null)).get("detail").asString();
        assertThat(expected).contains("'oops'");
        browser.await("the 422 problem's detail", d -> error.getText().contains(expected));
        assertThat(error.getText()).startsWith("422 Invalid data set");

        // a hyperparameter out of range: the service's 400 detail, not a guess of the page
        browser.find("#hp-dropout").sendKeys("1.5");
        browser.find("#train-button").click();
        String hpDetail = json(postMultipart(csv, "ui-bad", "{\"dropout\":1.5}")).get("detail").asString();
        browser.await("the 400 problem's detail", d -> error.getText().contains(hpDetail));
        assertThat(browser.find("#job-panel").isDisplayed()).as("no job was started").isFalse();
    }

    @Test
    void aMutatingActionWithoutTheKeyShowsThe401AndSucceedsOnceTheKeyIsEntered() throws Exception {
        String name = "ui-key-" + UUID.randomUUID().toString().substring(0, 8);
        Path csv = writeCsv(name, blobsCsv(20, 2));
        openTraining();
        browser.find("#train-file").sendKeys(csv.toString());
        browser.await("label column choices from the header", d -> browser.all("#train-label option").size() == 6);
        new Select(browser.find("#train-label")).selectByValue("species");
        // long enough to still be running when cancelled
        browser.find("#hp-epochs").sendKeys("10000");
        browser.find("#hp-earlyStoppingPatience").sendKeys("0");
        browser.find("#hp-batchSize").sendKeys("4");
        browser.find("#train-button").click();

        // the service answers 401; the page asks for the key and shows why
        WebElement reason = browser.visible("#key-reason");
        assertThat(reason.getText()).startsWith("401").contains("send the API key in header X-API-Key");
        browser.find("#key-cancel").click();
        WebElement error = browser.visible("#train-error");
        assertThat(error.getText()).startsWith("401 API key required").contains("send the API key in header X-API-Key");

        // again, with a wrong key first (403), then the right one
        browser.find("#train-button").click();
        browser.visible("#key-input").sendKeys("not-the-key", Keys.ENTER);
        browser.await("403 for the wrong key", d -> browser.find("#key-dialog").isDisplayed()
                && browser.find("#key-reason").getText().startsWith("403"));
        assertThat(browser.find("#key-reason").getText()).contains("does not match the configured API key");
        browser.find("#key-input").sendKeys(API_KEY);
        browser.find("#key-submit").click();

        WebElement job = browser.visible("#job-panel");
        browser.await("the job trains", d -> "RUNNING".equals(job.getDomAttribute("data-status")));
        assertThat(browser.js("return sessionStorage.getItem(arguments[0])", KEY_STORAGE)).isEqualTo(API_KEY);
        assertThat(browser.find("#api-key-state").getText()).isEqualTo("set");
        assertThat(browser.find("#train-error").isDisplayed()).isFalse();

        // the next mutating action sends the stored key without asking
        browser.find("#job-cancel").click();
        browser.await("job CANCELLED", d -> "CANCELLED".equals(job.getDomAttribute("data-status")));
        assertThat(browser.find("#key-dialog").isDisplayed()).isFalse();
        assertThat(json(get("/train/jobs/" + job.getDomAttribute("data-job-id"))).get("status").asString())
                .isEqualTo("CANCELLED");
        assertThat(get("/models").body()).doesNotContain(name);
    }

    @Test
    void theModelsViewShowsVersionsArchitectureHyperparametersAndCurves() throws Exception {
        browser.find("[data-nav='models']").click();
        JsonNode digits = null;
        for (JsonNode m : json(get("/models"))) {
            if (m.get("name").asString().equals("digits")) {
                digits = m;
            }
        }
        assertThat(digits).isNotNull();
        int active = digits.get("activeVersion").asInt();
        WebElement button = browser.visible(".version-button[data-model='digits'][data-version='" + active + "']");
        assertThat(button.getText()).contains("active");
        button.click();
        browser.await("version detail", d -> browser.find("#version-heading").getText().startsWith("digits version " + active));
        JsonNode meta = json(get("/models/digits/versions/" + active));
        String detail = browser.find("#version-detail").getText();
        assertThat(detail).contains("Inputs", "64", "Hidden layers", meta.get("architecture").get("hiddenLayers").get(0).asString(),
                "learningRate", "validationAccuracy", meta.get("sha256").asString(), "Calibration report");
        // the stored validation report: its metrics side by side, and the service's two plots, really loaded
        assertThat(meta.get("evaluation").isObject()).as("the default model stores a report").isTrue();
        String report = browser.find("#calibration-table").getText();
        assertThat(report).contains("Deterministic", "Monte Carlo", "Accuracy", "NLL", "ECE (15 bins)",
                "Misclassification AUROC, mutual information");
        browser.await("both report plots loaded", d -> Boolean.TRUE.equals(browser.js(
                "const imgs = document.querySelectorAll('.report-plots img');"
                        + "return imgs.length === 2 && [...imgs].every(i => i.complete && i.naturalWidth > 100);")));
        long points = ((Number) browser.js(
                "return Chart.getChart(document.getElementById('model-accuracy-chart')).data.datasets[1].data.length")).longValue();
        assertThat(points).isEqualTo(meta.get("history").get("validationAccuracy").size());
    }

    /**
     * Each view at desktop and phone width: nothing wider than the screen, every form control labelled, and a
     * screenshot in target/ui-screenshots (with -Dui.screenshots.update=true also in docs/ui, for the README).
     */
    @Test
    void everyViewFitsDesktopAndPhoneWidthsWithLabelledControls() throws Exception {
        browser.js("sessionStorage.setItem(arguments[0], arguments[1])", KEY_STORAGE, API_KEY);
        // a finished digits job for the training view (the first 400 rows, a small network)
        openTraining();
        browser.find("#train-file").sendKeys(writeCsv("digits-sample", digitsCsv(400)).toString());
        browser.find("#train-name").clear();
        browser.find("#train-name").sendKeys("digits-small");
        browser.find("#hp-hiddenLayers").sendKeys("64");
        browser.find("#hp-epochs").sendKeys("30");
        browser.find("#train-button").click();
        WebElement job = browser.visible("#job-panel");
        browser.await("job SUCCEEDED", d -> "SUCCEEDED".equals(job.getDomAttribute("data-status")));

        // Try it with a hard case of the digits data (line 1,119, row 1118: a 3 that looks like an 8), seed 7
        browser.find("[data-nav='try']").click();
        browser.await("digits selected", d -> {
            new Select(browser.find("#model-select")).selectByValue("digits");
            return browser.find("#draw-panel").isDisplayed();
        });
        browser.find("#seed").sendKeys("7");
        browser.find("#row-input").sendKeys(toJson(digitsRow(1118)));
        browser.find("#predict-button").click();
        browser.await("an answer", d -> "7".equals(browser.find("#result").getDomAttribute("data-seed")));

        Path out = Path.of("target", "ui-screenshots");
        Files.createDirectories(out);
        boolean update = Boolean.getBoolean("ui.screenshots.update");
        for (String view : List.of("try", "models", "training")) {
            browser.find("[data-nav='" + view + "']").click();
            if (view.equals("models")) {
                browser.await("version detail", d -> browser.find("#version-heading").isDisplayed());
            }
            browser.await(view + " shown", d -> browser.find("#view-" + view).isDisplayed());
            @SuppressWarnings("unchecked")
            List<String> unlabelled = (List<String>) browser.js("""
                    return [...document.querySelectorAll('input, select, textarea, button, [role=img], [role=application]')]
                      .filter(e => e.offsetParent !== null || e.getClientRects().length > 0)
                      .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                                   && !e.getAttribute('aria-labelledby') && !(e.textContent || '').trim())
                      .map(e => e.outerHTML.slice(0, 80));""");
            assertThat(unlabelled).as("controls without an accessible name in " + view).isEmpty();
            for (Map.Entry<String, Integer> width : Map.of("desktop", 1280, "phone", 390).entrySet()) {
                byte[] png = browser.screenshot(width.getValue());
                @SuppressWarnings("unchecked")
                List<String> tooWide = (List<String>) browser.js("""
                        const w = document.documentElement.clientWidth;
                        return [...document.querySelectorAll('body *')]
                          .filter(e => e.getClientRects().length > 0 && e.getBoundingClientRect().right > w + 0.5)
                          .filter(e => !e.closest('.table-scroll')) // wide tables scroll inside their own box
                          .map(e => e.tagName + '#' + e.id + '.' + e.className + ' right=' + e.getBoundingClientRect().right)
                          .slice(0, 8);""");
                assertThat(tooWide).as(view + " at " + width.getKey() + " width: elements wider than the screen").isEmpty();
                assertThat(png.length).isGreaterThan(10_000);
                String file = view + "-" + width.getKey() + ".png";
                Files.write(out.resolve(file), png);
                if (update) {
                    Files.createDirectories(Path.of("docs", "ui"));
                    Files.write(Path.of("docs", "ui", file), png);
                }
            }
            browser.size(1280, 900);
        }
        List<String> urls = browser.requestedUrls();
        assertThat(urls).anyMatch(u -> u.startsWith(base + "webjars/chart.js/"));
        assertThat(urls).allMatch(this::local, "local");
    }

    // --- helpers ---

    private void openTraining() {
        browser.find("[data-nav='training']").click();
        browser.visible("#hp-epochs");
    }

    private void assertSameNumbers(JsonNode expected) {
        List<Double> mean = columnOfTable("mean");
        List<Double> std = columnOfTable("std");
        for (int k = 0; k < mean.size(); k++) {
            assertThat(mean.get(k)).as("mean[%d]", k).isCloseTo(expected.get("mean").get(k).asDouble(), within(1e-12));
            assertThat(std.get(k)).as("std[%d]", k).isCloseTo(expected.get("std").get(k).asDouble(), within(1e-12));
        }
        assertThat(mean).hasSize(expected.get("mean").size());
        assertThat(measure("#m-entropy")).isCloseTo(expected.get("predictiveEntropy").asDouble(), within(1e-12));
        assertThat(measure("#m-mi")).isCloseTo(expected.get("mutualInformation").asDouble(), within(1e-12));
        assertThat(measure("#m-vr")).isCloseTo(expected.get("variationRatio").asDouble(), within(1e-12));
    }

    private List<Double> columnOfTable(String column) {
        List<Double> values = new ArrayList<>();
        for (WebElement row : browser.all("#probability-table tbody tr")) {
            values.add(Double.parseDouble(row.getDomAttribute("data-" + column)));
        }
        return values;
    }

    private double measure(String css) {
        return Double.parseDouble(browser.find(css).getDomAttribute("data-value"));
    }

    private HttpResponse<String> postMultipart(String csv, String name, String hyperparameters) throws Exception {
        String boundary = "----ui" + UUID.randomUUID();
        StringBuilder body = new StringBuilder();
        body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"data\"; filename=\"d.csv\"\r\n")
                .append("Content-Type: text/csv\r\n\r\n").append(csv).append("\r\n");
        body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n")
                .append(name).append("\r\n");
        if (hyperparameters != null) {
            body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"hyperparameters\"\r\n\r\n")
                    .append(hyperparameters).append("\r\n");
        }
        body.append("--").append(boundary).append("--\r\n");
        return send(withKey(request("/train")).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)));
    }

    private static Path writeCsv(String name, String content) throws IOException {
        Path dir = Files.createTempDirectory("mcdropout-ui");
        Path file = dir.resolve(name + ".csv");
        Files.writeString(file, content);
        dir.toFile().deleteOnExit();
        file.toFile().deleteOnExit();
        return file;
    }

    /** Three well-separated blobs in 4 dimensions, label column "species" second, as the training tests use. */
    private static String blobsCsv(int perClass, long seed) {
        Random random = new Random(seed);
        String[] names = {"a", "b", "c"};
        StringBuilder sb = new StringBuilder("x1,species,x2,x3,x4\n");
        for (int i = 0; i < perClass * 3; i++) {
            int c = i % 3;
            double[] r = new double[4];
            for (int j = 0; j < 4; j++) {
                r[j] = (j == c ? 4.0 : 0.0) + (j == 3 ? 4.0 * c : 0.0) + random.nextGaussian();
            }
            sb.append(r[0]).append(',').append(names[c]).append(',').append(r[1]).append(',').append(r[2]).append(',')
                    .append(r[3]).append('\n');
        }
        return sb.toString();
    }

    private static String digitsCsv(int rows) {
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < 64; j++) {
            sb.append('p').append(j).append(',');
        }
        sb.append("digit\n");
        for (int i = 0; i < rows; i++) {
            for (double v : digitsRow(i)) {
                sb.append((int) v).append(',');
            }
            sb.append(digitLabel(i)).append('\n');
        }
        return sb.toString();
    }

    private static double[] parseCsv(String text) {
        return java.util.Arrays.stream(text.replaceAll("[\\[\\]]", "").split("[,\\s]+")).filter(s -> !s.isEmpty()).mapToDouble(Double::parseDouble)
                .toArray();
    }

    private static String toJson(double[] row) {
        StringBuilder sb = new StringBuilder("[");
        for (int j = 0; j < row.length; j++) {
            sb.append(j == 0 ? "" : ",").append((int) row[j]);
        }
        return sb.append(']').toString();
    }
}
