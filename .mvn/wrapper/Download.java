import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Downloads one file with nothing but the JDK; used by ./mvnw when neither curl nor wget exists. */
public class Download {
	public static void main(String[] args) throws Exception {
		HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
		HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(URI.create(args[0])).build(),
				HttpResponse.BodyHandlers.ofInputStream());
		if (response.statusCode() != 200) {
			System.err.println("mvnw: " + args[0] + " answered HTTP " + response.statusCode());
			System.exit(1);
		}
		try (InputStream in = response.body()) {
			Files.copy(in, Path.of(args[1]), StandardCopyOption.REPLACE_EXISTING);
		}
	}
}
