import Hummingbird
import Mustache

/// Renders the console's pages from their Mustache templates (`Templates/`), which escape every `{{value}}`
/// for HTML; no template uses the unescaped forms.
///
/// ```swift
/// let renderer = try PageRenderer()
/// return renderer.page("events", EventsView(...))
/// ```
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    init() throws {
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in ConsoleTemplates.all { templates[name] = try MustacheTemplate(string: text) }
        library = MustacheLibrary(templates: templates)
    }

    func page(_ template: String, _ view: Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(view, withTemplate: template) ?? "template \(template) is missing"
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
